import SkiffModel

/// What a request asks to do (kube-apiserver's authorizer `Attributes`).
public struct AuthorizationAttributes: Sendable, Equatable {
    public var user: UserInfo
    /// `get`, `list`, `create`, ... for resources; the lowercased HTTP method for paths.
    public var verb: String
    public var isResourceRequest: Bool
    public var group = ""
    public var resource = ""
    public var subresource = ""
    public var namespace = ""
    public var name = ""
    /// The request path, for non-resource requests.
    public var path = ""

    public init(user: UserInfo, verb: String, isResourceRequest: Bool, group: String = "", resource: String = "", subresource: String = "",
                namespace: String = "", name: String = "", path: String = "") {
        self.user = user
        self.verb = verb
        self.isResourceRequest = isResourceRequest
        self.group = group
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
        self.path = path
    }

    /// kube-apiserver's Forbidden message for these attributes.
    var forbiddenMessage: String {
        guard isResourceRequest else { return "forbidden: User \"\(user.name)\" cannot \(verb) path \"\(path)\"" }
        let what = subresource.isEmpty ? resource : "\(resource)/\(subresource)"
        let target = name.isEmpty ? (group.isEmpty ? resource : "\(resource).\(group)") : "\(group.isEmpty ? resource : "\(resource).\(group)") \"\(name)\""
        let scope = namespace.isEmpty ? " at the cluster scope" : " in the namespace \"\(namespace)\""
        return "\(target) is forbidden: User \"\(user.name)\" cannot \(verb) resource \"\(what)\" in API group \"\(group)\"\(scope)"
    }

    var forbidden: APIError {
        guard isResourceRequest else { return APIError(code: 403, reason: "Forbidden", message: forbiddenMessage) }
        return APIError(code: 403, reason: "Forbidden", message: forbiddenMessage,
                        details: .init(name: name.isEmpty ? nil : name, group: group.isEmpty ? nil : group, kind: resource))
    }
}

/// Role-based access control as kube-apiserver's RBAC authorizer decides it: a request is
/// allowed when a rule of a role bound to its user allows it. ClusterRoleBindings grant their
/// ClusterRole everywhere; a RoleBinding grants its Role, or a ClusterRole, in its own
/// namespace only. Members of `system:masters` are allowed everything without a rule, as
/// Kubernetes' superuser group is. Objects are read from the watch cache.
public struct RBACAuthorizer: Sendable {
    let store: ResourceStore
    let registry: Registry

    public init(store: ResourceStore, registry: Registry) {
        self.store = store
        self.registry = registry
    }

    /// Why the request is allowed (`RBAC: allowed by ...`), or nil when no rule allows it.
    public func allowedBy(_ a: AuthorizationAttributes) async -> String? {
        if a.user.groups.contains("system:masters") { return "the system:masters group" }
        for binding in await objects("clusterrolebindings", namespace: "") where Self.binds(binding, a.user) {
            let role = binding["roleRef", "name"]?.string ?? ""
            if let rules = await rules(kind: "ClusterRole", name: role, namespace: ""), rules.contains(where: { Self.allows($0, a) }) {
                return "RBAC: allowed by ClusterRoleBinding \"\(binding["metadata", "name"]?.string ?? "")\" of ClusterRole \"\(role)\" to \(Self.describe(a.user))"
            }
        }
        guard a.isResourceRequest, !a.namespace.isEmpty else { return nil }
        for binding in await objects("rolebindings", namespace: a.namespace) where Self.binds(binding, a.user) {
            let kind = binding["roleRef", "kind"]?.string ?? "Role", role = binding["roleRef", "name"]?.string ?? ""
            if let rules = await rules(kind: kind, name: role, namespace: a.namespace), rules.contains(where: { Self.allows($0, a) }) {
                return "RBAC: allowed by RoleBinding \"\(binding["metadata", "name"]?.string ?? "")/\(a.namespace)\" of \(kind) \"\(role)\" to \(Self.describe(a.user))"
            }
        }
        return nil
    }

    /// Every rule bound to the user, cluster-wide and in `namespace` (a SelfSubjectRulesReview).
    public func rules(of user: UserInfo, namespace: String) async -> [JSON] {
        var out: [JSON] = []
        for binding in await objects("clusterrolebindings", namespace: "") where Self.binds(binding, user) {
            out += await rules(kind: "ClusterRole", name: binding["roleRef", "name"]?.string ?? "", namespace: "") ?? []
        }
        if !namespace.isEmpty {
            for binding in await objects("rolebindings", namespace: namespace) where Self.binds(binding, user) {
                out += await rules(kind: binding["roleRef", "kind"]?.string ?? "Role", name: binding["roleRef", "name"]?.string ?? "",
                                   namespace: namespace) ?? []
            }
        }
        return out
    }

    func objects(_ plural: String, namespace: String) async -> [JSON] {
        guard let type = registry.lookup(GroupResource(group: "rbac.authorization.k8s.io", resource: plural)) else { return [] }
        await store.sync()
        return await store.cache.parsedList(resourcePrefix: type.keyPrefix, keyPrefix: type.key(namespace: namespace, name: nil))
    }

    func rules(kind: String, name: String, namespace: String) async -> [JSON]? {
        let plural = kind == "ClusterRole" ? "clusterroles" : "roles"
        guard let type = registry.lookup(GroupResource(group: "rbac.authorization.k8s.io", resource: plural)) else { return nil }
        let key = type.key(namespace: kind == "ClusterRole" ? nil : namespace, name: name)
        return await store.cache.parsedObject(resourcePrefix: type.keyPrefix, key: key)?["rules"]?.array
    }

    static func describe(_ user: UserInfo) -> String {
        user.name.hasPrefix("system:serviceaccount:") ? "ServiceAccount \"\(user.name.split(separator: ":").suffix(2).joined(separator: "/"))\""
            : "User \"\(user.name)\""
    }

    /// Whether a subject of the binding is the user, one of its groups, or its ServiceAccount.
    static func binds(_ binding: JSON, _ user: UserInfo) -> Bool {
        let namespace = binding["metadata", "namespace"]?.string ?? ""
        return (binding["subjects"]?.array ?? []).contains { s in
            let name = s["name"]?.string ?? ""
            switch s["kind"]?.string {
            case "User": return name == user.name
            case "Group": return user.groups.contains(name)
            case "ServiceAccount":
                let ns = s["namespace"]?.string ?? namespace
                return user.name == "system:serviceaccount:\(ns):\(name)"
            default: return false
            }
        }
    }

    /// kube-apiserver's `RuleAllows`.
    static func allows(_ rule: JSON, _ a: AuthorizationAttributes) -> Bool {
        func has(_ field: String, _ value: String) -> Bool {
            (rule[field]?.array ?? []).contains { $0.string == "*" || $0.string == value }
        }
        guard has("verbs", a.verb) else { return false }
        if !a.isResourceRequest {
            return (rule["nonResourceURLs"]?.array ?? []).compactMap(\.string).contains { url in
                url == "*" || url == a.path || (url.hasSuffix("*") && a.path.hasPrefix(String(url.dropLast())))
            }
        }
        guard has("apiGroups", a.group) else { return false }
        let combined = a.subresource.isEmpty ? a.resource : "\(a.resource)/\(a.subresource)"
        let resources = (rule["resources"]?.array ?? []).compactMap(\.string)
        guard resources.contains(where: { $0 == "*" || $0 == combined || (!a.subresource.isEmpty && $0 == "*/\(a.subresource)") }) else {
            return false
        }
        let names = (rule["resourceNames"]?.array ?? []).compactMap(\.string)
        return names.isEmpty || (!a.name.isEmpty && names.contains(a.name))
    }
}
