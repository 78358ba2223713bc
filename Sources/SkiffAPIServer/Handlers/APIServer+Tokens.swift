import SkiffModel

/// authentication.k8s.io/v1: `serviceaccounts/token` (TokenRequest), `tokenreviews` and
/// `selfsubjectreviews`; and the issuer's OIDC discovery documents.
extension APIServer {
    static let authenticationGroup = GroupResource(group: "authentication.k8s.io", resource: "")

    /// `POST .../serviceaccounts/{name}/token`: signs a token for the ServiceAccount, as
    /// kube-apiserver's TokenREST does.
    ///
    /// - `spec.expirationSeconds` defaults to 3600 and must be 600 to 2^32 (else 422 Invalid).
    /// - `spec.audiences` defaults to the API server's audiences.
    /// - `spec.boundObjectRef` (Pod, Secret or Node of core/v1) must exist and, when it names a
    ///   uid, have that uid (409 Conflict); a Pod must run as this ServiceAccount. A Pod token
    ///   names the Pod's node too. A Pod token asked for 3607 s for the API server's audiences
    ///   is valid a year with `warnafter` at 3607 s (`--service-account-extend-token-expiration`).
    /// - The answer is the TokenRequest with `status.token` and `status.expirationTimestamp`
    ///   (201); a dry run signs nothing.
    func createToken(_ c: inout RequestContext) async throws -> Response {
        guard let issuer = configuration.serviceAccountTokens, c.type.plural == "serviceaccounts", let namespace = c.namespace else {
            throw APIError.pathNotFound()
        }
        let body = try c.rawBody()
        guard body.object != nil else { throw APIError.badRequest("Object 'TokenRequest' is missing") }
        if let kind = body["kind"]?.string, !kind.isEmpty, kind != "TokenRequest" {
            throw APIError.badRequest("the kind of the object (\(kind)) does not match the kind on the URL (TokenRequest)")
        }
        if let av = body["apiVersion"]?.string, !av.isEmpty, av != "authentication.k8s.io/v1" {
            throw APIError.badRequest("the API version in the data (\(av)) does not match the expected API version (authentication.k8s.io/v1)")
        }
        let name = c.info.name
        let sa = try await store.get(c.type, namespace: namespace, name: name).object
        let saRef = ServiceAccountTokens.Reference(name: name, uid: sa["metadata", "uid"]?.string ?? "")
        var request = body
        request["apiVersion"] = "authentication.k8s.io/v1"
        request["kind"] = "TokenRequest"
        let reqNS = body["metadata", "namespace"]?.string ?? ""
        if !reqNS.isEmpty, reqNS != namespace {
            throw APIError.badRequest("namespace of TokenRequest (\(reqNS)) does not match the namespace of the service account (\(namespace))")
        }
        request["metadata", "namespace"] = .string(namespace)
        if (body["metadata", "name"]?.string ?? "").isEmpty { request["metadata", "name"] = .string(name) }
        request["metadata", "creationTimestamp"] = .null

        var spec = body["spec"] ?? [:]
        let seconds = spec["expirationSeconds"]?.int ?? 3600
        spec["expirationSeconds"] = .int(seconds)
        if seconds < 600 {
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: "",
                                   [.invalid("spec.expirationSeconds", .int(seconds), "may not specify a duration less than 10 minutes")])
        }
        if seconds > 1 << 32 {
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: "",
                                   [FieldError(.tooLong, "spec.expirationSeconds", value: .int(seconds), "may not specify a duration larger than 2^32 seconds")])
        }
        var audiences = spec["audiences"]?.array?.compactMap(\.string) ?? []
        if audiences.isEmpty { audiences = issuer.audiences }
        spec["audiences"] = .array(audiences.map { .string($0) })
        request["spec"] = spec

        var pod: ServiceAccountTokens.Reference?, secret: ServiceAccountTokens.Reference?, node: ServiceAccountTokens.Reference?
        if let ref = spec["boundObjectRef"], ref.object != nil {
            (pod, secret, node) = try await boundObject(ref, namespace: namespace, serviceAccount: name)
        }
        var expiry = seconds, warnAfter: Int64?
        if issuer.extendExpiration, pod != nil, seconds == ServiceAccountTokens.warnOnlyExpirationSeconds,
           audiences.allSatisfy(issuer.audiences.contains) {
            warnAfter = seconds
            expiry = ServiceAccountTokens.extendedExpirationSeconds
        }
        let now = Int64(Timestamp.now())
        let token = c.dryRun ? "" : try issuer.sign(issuer.claims(namespace: namespace, serviceAccount: saRef, pod: pod, secret: secret, node: node,
                                                                  audiences: audiences, issuedAt: now, expirationSeconds: expiry, warnAfter: warnAfter))
        request["status"] = ["token": .string(token), "expirationTimestamp": .string(Timestamp.format(Double(now + seconds)))]
        return .json(request, status: .created)
    }

    /// The Pod, Secret or Node a token is bound to, checked as TokenREST checks it.
    func boundObject(_ ref: JSON, namespace: String, serviceAccount: String) async throws
        -> (ServiceAccountTokens.Reference?, ServiceAccountTokens.Reference?, ServiceAccountTokens.Reference?) {
        let apiVersion = ref["apiVersion"]?.string ?? "", kind = ref["kind"]?.string ?? "", name = ref["name"]?.string ?? ""
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        guard group.isEmpty, ["Pod", "Secret", "Node"].contains(kind) else {
            let gvk = apiVersion.isEmpty ? ", Kind=\(kind)" : "\(apiVersion), Kind=\(kind)"
            throw APIError.badRequest("cannot bind token to object of type \(gvk)")
        }
        let resource = ["Pod": "pods", "Secret": "secrets", "Node": "nodes"][kind]!
        guard let type = registry.lookup(GroupResource(group: "", resource: resource)) else { throw APIError.pathNotFound() }
        let object = try await store.get(type, namespace: kind == "Node" ? nil : namespace, name: name).object
        let uid = object["metadata", "uid"]?.string ?? ""
        if let wanted = ref["uid"]?.string, !wanted.isEmpty, wanted != uid {
            throw APIError.conflict(GroupResource(group: "", resource: kind), name,
                                    "the UID in the bound object reference (\(wanted)) does not match the UID in record. The object might have been deleted and then recreated")
        }
        let me = ServiceAccountTokens.Reference(name: name, uid: uid)
        switch kind {
        case "Pod":
            if object["spec", "serviceAccountName"]?.string != serviceAccount {
                throw APIError.badRequest("cannot bind token for serviceaccount \"\(serviceAccount)\" to pod running with different serviceaccount name.")
            }
            var node: ServiceAccountTokens.Reference?
            if let nodeName = object["spec", "nodeName"]?.string, !nodeName.isEmpty,
               let nodeType = registry.lookup(GroupResource(group: "", resource: "nodes")),
               let n = try? await store.get(nodeType, namespace: nil, name: nodeName).object {
                node = .init(name: nodeName, uid: n["metadata", "uid"]?.string ?? "")
            }
            return (me, nil, node)
        case "Secret": return (nil, me, nil)
        default: return (nil, nil, me)
        }
    }

    /// `tokenreviews` and `selfsubjectreviews` (create only, nothing is stored).
    func review(_ c: inout RequestContext) async throws -> Response {
        let body = try c.decodeBody()
        var result = body
        result["apiVersion"] = .string(c.apiVersion)
        result["metadata", "creationTimestamp"] = .null
        switch c.type.kind {
        case "SelfSubjectReview":
            result["status"] = ["userInfo": c.request.user.json]
        case "TokenReview":
            guard let token = body["spec", "token"]?.string, !token.isEmpty else {
                throw APIError.badRequest("token is required for TokenReview in authentication")
            }
            let wanted = body["spec", "audiences"]?.array?.compactMap(\.string) ?? []
            let audiences = wanted.isEmpty ? (configuration.serviceAccountTokens?.audiences ?? []) : wanted
            if let user = configuration.authenticator.authenticate(authorization: "Bearer " + token) {
                result["status"] = ["authenticated": true, "user": user.json, "audiences": .array(audiences.map { .string($0) })]
            } else {
                do {
                    let claims = try await checkServiceAccountToken(token, audiences: audiences)
                    result["status"] = ["authenticated": true, "user": claims.user.json, "audiences": .array(claims.audiences.map { .string($0) })]
                } catch {
                    result["status"] = ["user": [:], "error": .string("[invalid bearer token, \(error)]")]
                }
            }
        case "SelfSubjectRulesReview":
            let namespace = body["spec", "namespace"]?.string ?? ""
            let rules = configuration.rbac ? await authorizer.rules(of: c.request.user, namespace: namespace)
                                           : [BootstrapPolicy.rule(["*"], ["*"], ["*"]), BootstrapPolicy.paths(["*"], ["*"])]
            let resourceRules = rules.filter { $0["nonResourceURLs"] == nil }.map { r in
                var out: JSON = ["verbs": r["verbs"] ?? []]
                for field in ["apiGroups", "resources", "resourceNames"] { if let v = r[field] { out[field] = v } }
                return out
            }
            let nonResourceRules = rules.filter { $0["nonResourceURLs"] != nil }.map { r -> JSON in
                ["verbs": r["verbs"] ?? [], "nonResourceURLs": r["nonResourceURLs"] ?? []]
            }
            result["status"] = ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": false]
        case "SelfSubjectAccessReview", "SubjectAccessReview", "LocalSubjectAccessReview":
            result["status"] = try await accessReview(body, kind: c.type.kind, namespace: c.namespace, requester: c.request.user)
        default:
            throw APIError.pathNotFound()
        }
        return .json(result, status: .created)
    }

    /// `/.well-known/openid-configuration` and `/openid/v1/jwks` (ServiceAccountIssuerDiscovery).
    func serviceAccountIssuerDiscovery(_ segs: [String]) throws -> Response {
        guard let issuer = configuration.serviceAccountTokens else { throw APIError.pathNotFound() }
        if segs == [".well-known", "openid-configuration"] {
            return .json(["issuer": .string(issuer.issuer), "jwks_uri": .string(issuer.issuer + "/openid/v1/jwks"),
                          "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                          "id_token_signing_alg_values_supported": ["ES256"]])
        }
        if segs == ["openid", "v1", "jwks"] { return .json(issuer.jwks, contentType: "application/jwk-set+json") }
        throw APIError.pathNotFound()
    }
}
