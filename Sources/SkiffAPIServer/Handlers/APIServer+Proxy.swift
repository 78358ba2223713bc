import NIOHTTP1
import NIOSSL
import SkiffModel

/// How the API server reaches node agents (kube-apiserver's `--kubelet-*` flags).
public struct KubeletClientConfiguration: Sendable {
    /// Verifies agents' serving certificates: the cluster CA, or the system's roots when built
    /// without one.
    public var tls: NIOSSLContext?
    /// Sent as `Authorization: Bearer ...`; the agents accept it (`KubeletServer.Configuration.bearerTokens`).
    public var bearerToken: String?
    /// The Node address types to try, in order (`--kubelet-preferred-address-types`).
    public var preferredAddressTypes: [String]

    /// `caCertificatePEM`: the CA that signs agents' serving certificates (nil: the system's roots).
    public init(caCertificatePEM: String?, bearerToken: String?,
                preferredAddressTypes: [String] = ["InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"]) throws {
        var config = TLSConfiguration.makeClientConfiguration()
        if let pem = caCertificatePEM {
            config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
        }
        tls = try NIOSSLContext(configuration: config)
        self.bearerToken = bearerToken
        self.preferredAddressTypes = preferredAddressTypes
    }

    init(tls: NIOSSLContext?, bearerToken: String?, preferredAddressTypes: [String]) {
        self.tls = tls
        self.bearerToken = bearerToken
        self.preferredAddressTypes = preferredAddressTypes
    }

    /// TLS verified against the system's roots, no credential.
    public static let `default` = KubeletClientConfiguration(
        tls: try? NIOSSLContext(configuration: .makeClientConfiguration()), bearerToken: nil,
        preferredAddressTypes: ["InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"])
}

/// `pods/log`, `pods/exec`, `pods/attach`, `pods/portforward` and `nodes/proxy`: requests the
/// API server passes on to the node agent of the Pod's node, as kube-apiserver does.
extension APIServer {
    /// `GET pods/{name}/log`: the agent's `/containerLogs/...`, streamed as it comes.
    func podLog(_ c: inout RequestContext) async throws -> Response {
        let name = c.info.name
        let options = try PodLogOptions(query: c.request.query, podName: name)
        let pod = try await store.get(c.type, namespace: c.namespace, name: name).object
        let container = try Self.containerName(options.container, pod: pod, podName: name)
        guard let nodeName = pod["spec", "nodeName"]?.string, !nodeName.isEmpty else {
            // As kube-apiserver: no node yet, no location, an empty log.
            return Response(status: .ok, headers: ["Content-Type": "text/plain"], body: .bytes([]))
        }
        let namespace = c.namespace ?? ""
        let target = "/containerLogs/\(Self.pathEscape(namespace))/\(Self.pathEscape(name))/\(Self.pathEscape(container))"
            + (options.kubeletQuery.isEmpty ? "" : "?" + options.kubeletQuery)
        let exchange = try await kubelet(nodeName: nodeName, method: "GET", target: target, headers: [:])
        guard (200...206).contains(exchange.head.status) else {
            let text = await Self.collect(exchange, limit: 4096)
            throw Self.responseError(status: exchange.head.status, body: text, resource: "pods/log", name: name)
        }
        return Self.streamed(exchange, contentType: "text/plain")
    }

    /// `pods/exec`, `pods/attach`, `pods/portforward` (GET or POST with `Connection: Upgrade`):
    /// the agent's `/exec`, `/attach` or `/portForward`, the upgraded connection spliced through.
    func podConnect(_ c: inout RequestContext) async throws -> Response {
        let name = c.info.name
        let sub = c.info.subresource
        let pod = try await store.get(c.type, namespace: c.namespace, name: name).object
        let namespace = c.namespace ?? ""
        var target: String
        var query: [(String, String)] = []
        if sub == "portforward" {
            target = "/portForward/\(Self.pathEscape(namespace))/\(Self.pathEscape(name))"
            for port in Self.allValues(c.request.rawQuery, "ports") {
                for p in port.split(separator: ",") {
                    guard let n = Int(p.trimmingCharacters(in: .whitespaces)), n > 0, n < 65536 else {
                        throw APIError.badRequest("invalid port \"\(p)\"")
                    }
                    query.append(("port", String(n)))
                }
            }
        } else {
            let container = try Self.containerName(c.request.query["container"] ?? "", pod: pod, podName: name)
            target = "/\(sub)/\(Self.pathEscape(namespace))/\(Self.pathEscape(name))/\(Self.pathEscape(container))"
            if sub == "exec" { query += Self.allValues(c.request.rawQuery, "command").map { ("command", $0) } }
            for (param, kubeletParam) in [("stderr", "error"), ("stdin", "input"), ("stdout", "output"), ("tty", "tty")]
            where Self.queryBool(c.request.query[param]) {
                query.append((kubeletParam, "1"))
            }
        }
        guard let nodeName = pod["spec", "nodeName"]?.string, !nodeName.isEmpty else {
            throw APIError.badRequest("pod \(name) does not have a host assigned")
        }
        guard c.request.isUpgrade else { throw APIError.badRequest("Upgrade request required") }
        if !query.isEmpty { target += "?" + query.map { "\($0.0)=\(Self.queryEscape($0.1))" }.joined(separator: "&") }
        return try await relayUpgrade(nodeName: nodeName, target: target, request: c.request)
    }

    /// `nodes/{name}/proxy/{path}`: any request to the node agent's `path`.
    func nodeProxy(_ c: inout RequestContext) async throws -> Response {
        let name = c.info.name
        _ = try await store.get(c.type, namespace: nil, name: name)
        var path = String(c.info.subresource.dropFirst("proxy".count))
        if let range = c.request.path.range(of: "/nodes/\(name)/proxy") {
            path = String(c.request.path[range.upperBound...])
        }
        if !path.hasPrefix("/") { path = "/" + path }
        let target = path + (c.request.rawQuery.isEmpty ? "" : "?" + c.request.rawQuery)
        if c.request.isUpgrade { return try await relayUpgrade(nodeName: name, target: target, request: c.request) }
        var headers = Self.forwardedHeaders(c.request.headers, upgrade: false)
        headers.add(name: "Connection", value: "close")
        let exchange = try await kubelet(nodeName: name, method: c.request.method.rawValue, target: target, headers: headers, body: c.request.body)
        var response = Self.streamed(exchange, contentType: exchange.head.headers.first(name: "content-type") ?? "text/plain")
        response.status = HTTPResponseStatus(statusCode: exchange.head.status)
        return response
    }

    /// Sends an upgrade request to the agent; its 101 becomes ours with the connections spliced,
    /// anything else is passed back as it came.
    func relayUpgrade(nodeName: String, target: String, request: Request) async throws -> Response {
        let exchange = try await kubelet(nodeName: nodeName, method: request.method.rawValue, target: target,
                                         headers: Self.forwardedHeaders(request.headers, upgrade: true))
        if exchange.head.status == 101 {
            var response = Response(status: .switchingProtocols, headers: exchange.head.headers)
            response.upgrade = { client in await exchange.splice(client) }
            return response
        }
        let body = await Self.collect(exchange, limit: 64 * 1024)
        var headers = HTTPHeaders()
        for name in ["Content-Type", "X-Content-Type-Options"] {
            if let v = exchange.head.headers.first(name: name) { headers.add(name: name, value: v) }
        }
        return Response(status: HTTPResponseStatus(statusCode: exchange.head.status), headers: headers, body: .bytes(Array(body.utf8)))
    }

    /// Opens a request to the agent of `nodeName` at its Node's preferred address and kubelet port.
    func kubelet(nodeName: String, method: String, target: String, headers: HTTPHeaders, body: [UInt8] = []) async throws -> UpstreamExchange {
        let (host, port) = try await kubeletAddress(nodeName)
        let client = configuration.kubelet
        var headers = headers
        if let token = client.bearerToken { headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)") }
        do {
            return try await UpstreamExchange.start(host: host, port: port, tls: client.tls, method: method, target: target,
                                                    headers: headers, body: body)
        } catch {
            throw APIError.internalError("error dialing backend: \(error)")
        }
    }

    /// The Node's address of the first preferred type that it has, and its kubelet port.
    func kubeletAddress(_ nodeName: String) async throws -> (String, Int) {
        guard let nodes = registry.lookup(GroupResource(group: "", resource: "nodes")) else { throw APIError.pathNotFound() }
        let node = try await store.get(nodes, namespace: nil, name: nodeName).object
        let addresses = node["status", "addresses"]?.array ?? []
        var port = Int(node["status", "daemonEndpoints", "kubeletEndpoint", "Port"]?.int ?? 0)
        if port <= 0 { port = 10250 }
        for type in configuration.kubelet.preferredAddressTypes {
            if let a = addresses.first(where: { $0["type"]?.string == type }), let address = a["address"]?.string, !address.isEmpty {
                return (address, port)
            }
        }
        let known = addresses.map { "{\($0["type"]?.string ?? "") \($0["address"]?.string ?? "")}" }.joined(separator: " ")
        throw APIError.internalError("no preferred addresses found; known addresses: [\(known)]")
    }
}
