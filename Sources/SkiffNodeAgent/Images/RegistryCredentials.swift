import Foundation

/// A user name and password (or identity token) for one registry.
public struct RegistryCredential: Sendable, Hashable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The `Authorization: Basic` value.
    var basic: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
}

/// Credentials by registry host, read from `kubernetes.io/dockerconfigjson` Secrets
/// (`{"auths": {"host": {"auth": base64("user:pass")}}}`) or the older `kubernetes.io/dockercfg`
/// (`{"host": {...}}`), the contents of an `imagePullSecrets` reference.
///
/// Keys may be bare hosts (`127.0.0.1:5000`) or URLs (`https://index.docker.io/v1/`); Docker Hub's
/// aliases all mean `docker.io`.
public struct RegistryCredentials: Sendable {
    public var byHost: [String: RegistryCredential]

    public init(_ byHost: [String: RegistryCredential] = [:]) { self.byHost = byHost }

    /// Parses a `.dockerconfigjson` or `.dockercfg` document.
    public init(dockerConfigJSON bytes: [UInt8]) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw ImageError(.invalidContent, "docker config is not a JSON object")
        }
        let auths = object["auths"] as? [String: Any] ?? object
        var byHost: [String: RegistryCredential] = [:]
        for (key, value) in auths {
            guard let entry = value as? [String: Any] else { continue }
            var user = entry["username"] as? String ?? ""
            var pass = entry["password"] as? String ?? ""
            if let auth = entry["auth"] as? String, !auth.isEmpty {
                guard let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
                      let colon = text.firstIndex(of: ":") else {
                    throw ImageError(.invalidContent, "docker config entry for \(key) has a malformed auth")
                }
                user = String(text[..<colon])
                pass = String(text[text.index(after: colon)...])
            }
            if let token = entry["identitytoken"] as? String, !token.isEmpty { user = "<token>"; pass = token }
            if user.isEmpty && pass.isEmpty { continue }
            byHost[Self.normalize(key)] = RegistryCredential(username: user, password: pass)
        }
        self.byHost = byHost
    }

    /// The credential for a registry (as in `ImageReference.registry`), if any.
    public func credential(for registry: String) -> RegistryCredential? {
        byHost[Self.normalize(registry)]
    }

    /// Adds the entries of `other`, which win over existing ones.
    public mutating func merge(_ other: RegistryCredentials) {
        byHost.merge(other.byHost) { $1 }
    }

    static func normalize(_ key: String) -> String {
        var host = Substring(key)
        if let r = host.range(of: "://") { host = host[r.upperBound...] }
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        let h = host.lowercased()
        return ["index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"].contains(h) ? ImageReference.defaultRegistry : h
    }
}
