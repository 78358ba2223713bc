/// A resource the server serves, as the OpenAPI documents describe it.
public struct ServedKind: Sendable, Hashable {
    public var group: String
    public var version: String
    public var kind: String
    /// The plural resource name in URLs: `deployments`.
    public var resource: String
    public var namespaced: Bool
    /// Kubernetes verbs: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`.
    public var verbs: [String]
    /// Subresource names: `status`, `scale`, `log`, `exec`, `binding`, `eviction`, ...
    public var subresources: [String]

    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    public init(group: String = "", version: String, kind: String, resource: String, namespaced: Bool,
                verbs: [String] = ServedKind.allVerbs, subresources: [String] = []) {
        self.group = group
        self.version = version
        self.kind = kind
        self.resource = resource
        self.namespaced = namespaced
        self.verbs = verbs
        self.subresources = subresources
    }

    public var gvk: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }

    /// The group/version's key in the OpenAPI v3 index: `api/v1`, `apis/apps/v1`.
    public var groupVersionPath: String { group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)" }

    /// The URL prefix of the group/version: `/api/v1`, `/apis/apps/v1`.
    var urlPrefix: String { "/" + groupVersionPath }

    /// The group/version as Kubernetes writes it in operation IDs: `CoreV1`, `AppsV1`,
    /// `RbacAuthorizationV1` (the `.k8s.io` suffix dropped, dot-separated words capitalized).
    var operationGroupVersion: String {
        ServedKind.operationGroup(group) + ServedKind.capitalized(version)
    }

    /// The OpenAPI tag: `core_v1`, `apps_v1`, `rbacAuthorization_v1`.
    var tag: String {
        let g = ServedKind.operationGroup(group)
        return (g.prefix(1).lowercased() + g.dropFirst()) + "_" + version
    }

    static func operationGroup(_ group: String) -> String {
        if group.isEmpty { return "Core" }
        var g = Substring(group)
        if g.hasSuffix(".k8s.io") { g = g.dropLast(".k8s.io".count) }
        return g.split(separator: ".").map { capitalized(String($0)) }.joined()
    }

    static func capitalized(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
}
