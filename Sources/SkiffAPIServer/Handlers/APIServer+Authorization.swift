import SkiffModel

/// Authorization (RBAC when `configuration.rbac`), impersonation, and the access reviews
/// `kubectl auth can-i` sends.
extension APIServer {
    var authorizer: RBACAuthorizer { RBACAuthorizer(store: store, registry: registry) }

    /// Throws 403 Forbidden, in kube-apiserver's words, unless the request may proceed. With RBAC
    /// off any authenticated user may; the anonymous user may only reach health and version.
    func authorize(_ a: AuthorizationAttributes) async throws(APIError) {
        if await allowed(a) == nil { throw a.forbidden }
    }

    /// Why `a` is allowed, or nil.
    func allowed(_ a: AuthorizationAttributes) async -> String? {
        guard configuration.rbac else { return a.user.isAnonymous ? nil : "" }
        return await authorizer.allowedBy(a)
    }

    /// The user the request acts as: the one `Impersonate-User` names (with `Impersonate-Group`
    /// and `Impersonate-Uid`) when its authenticated user may `impersonate` each of them, else
    /// the authenticated user.
    func impersonate(_ request: Request) async throws(APIError) -> UserInfo {
        let groups = request.headers["impersonate-group"]
        let uid = request.headers.first(name: "impersonate-uid")
        guard let name = request.headers.first(name: "impersonate-user") else {
            if !groups.isEmpty || uid != nil {
                throw APIError.internalError("requested impersonation of groups or uid without impersonating a user")
            }
            return request.user
        }
        let requester = request.user
        func check(_ resource: String, _ name: String, namespace: String = "", group: String = "") async throws(APIError) {
            try await authorize(AuthorizationAttributes(user: requester, verb: "impersonate", isResourceRequest: true, group: group,
                                                        resource: resource, namespace: namespace, name: name))
        }
        var impersonatedGroups = groups
        let parts = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 4, parts[0] == "system", parts[1] == "serviceaccount" {
            try await check("serviceaccounts", parts[3], namespace: parts[2])
            if groups.isEmpty { impersonatedGroups = ["system:serviceaccounts", "system:serviceaccounts:\(parts[2])"] }
        } else {
            try await check("users", name)
        }
        for group in groups { try await check("groups", group) }
        if let uid { try await check("uids", uid, group: "authentication.k8s.io") }
        if name != UserInfo.anonymous.name && !impersonatedGroups.contains("system:authenticated") {
            impersonatedGroups.append("system:authenticated")
        }
        return UserInfo(name: name, uid: uid ?? "", groups: impersonatedGroups)
    }

    /// `status` of a SelfSubjectAccessReview, SubjectAccessReview or LocalSubjectAccessReview.
    func accessReview(_ body: JSON, kind: String, namespace: String?, requester: UserInfo) async throws -> JSON {
        let spec = body["spec"] ?? [:]
        var user = requester
        if kind != "SelfSubjectAccessReview" {
            user = UserInfo(name: spec["user"]?.string ?? "", uid: spec["uid"]?.string ?? "",
                            groups: (spec["groups"]?.array ?? []).compactMap(\.string))
        }
        let attributes: AuthorizationAttributes
        if let r = spec["resourceAttributes"], r.object != nil {
            var ns = r["namespace"]?.string ?? ""
            if kind == "LocalSubjectAccessReview" {
                guard ns.isEmpty || ns == namespace else {
                    throw APIError.badRequest("spec.resourceAttributes.namespace must match metadata.namespace")
                }
                ns = namespace ?? ""
            }
            attributes = AuthorizationAttributes(user: user, verb: r["verb"]?.string ?? "", isResourceRequest: true,
                                                 group: r["group"]?.string ?? "", resource: r["resource"]?.string ?? "",
                                                 subresource: r["subresource"]?.string ?? "", namespace: ns, name: r["name"]?.string ?? "")
        } else if let n = spec["nonResourceAttributes"], n.object != nil {
            attributes = AuthorizationAttributes(user: user, verb: n["verb"]?.string ?? "", isResourceRequest: false,
                                                 path: n["path"]?.string ?? "")
        } else {
            throw APIError.invalid(kind: kind, group: "authorization.k8s.io", name: "",
                                   [.invalid("spec.resourceAttributes", .null, "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
        }
        guard let reason = await allowed(attributes) else { return ["allowed": false] }
        return reason.isEmpty ? ["allowed": true] : ["allowed": true, "reason": .string(reason)]
    }
}
