import Foundation
import NIOSSL
import SkiffModel

/// What a client needs from a kubeconfig file: the server, the CA it trusts, and the user's
/// credentials (bearer token, or client certificate and key), for one context.
///
/// File references (`certificate-authority`, `client-certificate`, `client-key`, `tokenFile`) are
/// read at load time, relative to the kubeconfig's directory.
///
/// ```swift
/// let config = try Kubeconfig.load(path: dataDir + "/kubeconfig")
/// let client = Client(transport: try HTTPTransport(kubeconfig: config))
/// ```
public struct Kubeconfig: Sendable, Equatable {
    /// The server URL, for example `https://127.0.0.1:6443`.
    public var server: String
    /// PEM bytes of the CA bundle that signs the server's certificate; nil to use the system roots.
    public var certificateAuthorityData: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    /// The `tls-server-name` to verify the server's certificate against instead of the URL's host.
    public var tlsServerName: String?
    public var token: String?
    /// PEM client certificate and key, if the user authenticates with one.
    public var clientCertificateData: [UInt8]?
    public var clientKeyData: [UInt8]?
    /// The context's default namespace (`default` if unset).
    public var namespace: String

    public init(server: String, certificateAuthorityData: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
                tlsServerName: String? = nil, token: String? = nil, clientCertificateData: [UInt8]? = nil,
                clientKeyData: [UInt8]? = nil, namespace: String = "default") {
        self.server = server
        self.certificateAuthorityData = certificateAuthorityData
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.token = token
        self.clientCertificateData = clientCertificateData
        self.clientKeyData = clientKeyData
        self.namespace = namespace
    }

    /// Reads the kubeconfig at `path` for `context` (default: its `current-context`).
    public static func load(path: String, context: String? = nil) throws -> Kubeconfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientError(.invalidConfiguration, "cannot read kubeconfig \(path)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try Kubeconfig(parsing: String(decoding: data, as: UTF8.self), context: context, directory: directory)
    }

    /// Parses kubeconfig text (YAML or JSON) for `context` (default: its `current-context`);
    /// relative file references are resolved against `directory`.
    public init(parsing text: String, context: String? = nil, directory: String = ".") throws {
        let doc = try KubeconfigYAML.parse(text)
        func named(_ list: String, _ name: String, _ member: String) throws -> JSON {
            guard let entry = doc[list]?.array?.first(where: { $0["name"]?.string == name }), let value = entry[member] else {
                throw ClientError(.invalidConfiguration, "kubeconfig has no \(list) entry named \"\(name)\"")
            }
            return value
        }
        guard let contextName = context ?? doc["current-context"]?.string, !contextName.isEmpty else {
            throw ClientError(.invalidConfiguration, "kubeconfig has no current-context")
        }
        let ctx = try named("contexts", contextName, "context")
        let cluster = try named("clusters", ctx["cluster"]?.string ?? "", "cluster")
        let user = (ctx["user"]?.string).flatMap { name in doc["users"]?.array?.first { $0["name"]?.string == name }?["user"] } ?? [:]
        guard let server = cluster["server"]?.string, !server.isEmpty else {
            throw ClientError(.invalidConfiguration, "kubeconfig cluster \"\(ctx["cluster"]?.string ?? "")\" has no server")
        }
        func bytes(_ object: JSON, data: String, file: String) throws -> [UInt8]? {
            if let b64 = object[data]?.string, !b64.isEmpty {
                guard let d = Data(base64Encoded: b64, options: .ignoreUnknownCharacters) else {
                    throw ClientError(.invalidConfiguration, "kubeconfig \(data) is not valid base64")
                }
                return Array(d)
            }
            if let path = object[file]?.string, !path.isEmpty {
                let full = path.hasPrefix("/") ? path : directory + "/" + path
                guard let d = FileManager.default.contents(atPath: full) else {
                    throw ClientError(.invalidConfiguration, "cannot read \(file) \(full)")
                }
                return Array(d)
            }
            return nil
        }
        var token = user["token"]?.string
        if token == nil, let tokenFile = try bytes(user, data: "", file: "tokenFile") {
            token = String(decoding: tokenFile, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        self.init(server: server,
                  certificateAuthorityData: try bytes(cluster, data: "certificate-authority-data", file: "certificate-authority"),
                  insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"]?.bool ?? false,
                  tlsServerName: cluster["tls-server-name"]?.string,
                  token: token,
                  clientCertificateData: try bytes(user, data: "client-certificate-data", file: "client-certificate"),
                  clientKeyData: try bytes(user, data: "client-key-data", file: "client-key"),
                  namespace: ctx["namespace"]?.string ?? "default")
    }

    /// The `HTTPTransport` configuration for this kubeconfig: host and port from `server`, the CA
    /// as the only trust root (when given), the client certificate, and the token.
    public func transportConfiguration() throws -> HTTPTransport.Configuration {
        guard let url = URL(string: server), let scheme = url.scheme, let host = url.host, ["http", "https"].contains(scheme) else {
            throw ClientError(.invalidConfiguration, "kubeconfig server \"\(server)\" is not an http(s) URL")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = certificateAuthorityData {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if let cert = clientCertificateData, let key = clientKeyData {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw ClientError(.invalidConfiguration, "kubeconfig certificate data is not valid PEM", cause: error)
        }
        if insecureSkipTLSVerify { tls.certificateVerification = .none }
        var config = HTTPTransport.Configuration(scheme: scheme, host: host, port: url.port ?? (scheme == "https" ? 443 : 80),
                                                 tls: tls, bearerToken: token)
        config.serverName = tlsServerName
        return config
    }
}
