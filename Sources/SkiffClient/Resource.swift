/// A REST resource the client addresses: group, version, plural name and scope.
///
/// ```swift
/// let deployments = Resource(group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true)
/// deployments.path(namespace: "default", name: "web")  // "/apis/apps/v1/namespaces/default/deployments/web"
/// ```
public struct Resource: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    /// The lowercase plural in URLs: `pods`, `deployments`.
    public var plural: String
    /// The object kind, for example `Pod`; informational (events, logs), not sent in paths.
    public var kind: String
    public var namespaced: Bool

    public init(group: String = "", version: String, plural: String, kind: String = "", namespaced: Bool) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    /// `v1` or `apps/v1`, as in an object's `apiVersion`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `pods` or `deployments.apps`, as Kubernetes prints a resource in messages.
    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The URL path (unencoded query not included). `namespace` is ignored for cluster-scoped
    /// resources; nil for a namespaced resource addresses all namespaces (lists and watches).
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var p = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace, !namespace.isEmpty {
            p += "/namespaces/" + PathEncoding.segment(namespace)
        }
        p += "/" + plural
        if let name {
            p += "/" + PathEncoding.segment(name)
            if let subresource, !subresource.isEmpty { p += "/" + subresource }
        }
        return p
    }
}

/// Percent-encoding for paths and queries (RFC 3986 unreserved characters pass through).
enum PathEncoding {
    static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
    }

    static func encode(_ s: String, keeping extra: Set<UInt8> = []) -> String {
        if s.utf8.allSatisfy({ isUnreserved($0) || extra.contains($0) }) { return s }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            if isUnreserved(b) || extra.contains(b) {
                out.append(b)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One path segment (a name may hold `:` as in RBAC names; `/` is escaped).
    static func segment(_ s: String) -> String { encode(s, keeping: [UInt8(ascii: ":"), UInt8(ascii: "@")]) }

    /// `a=b&c=d` with each key and value encoded.
    static func query(_ items: [(String, String)]) -> String {
        items.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}
