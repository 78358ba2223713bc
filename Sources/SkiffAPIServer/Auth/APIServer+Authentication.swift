import SkiffModel

extension APIServer {
    /// The identity of a request: anonymous without an `Authorization` header; the static token's
    /// user; or the ServiceAccount of a valid ServiceAccount JWT. Nil for credentials that are
    /// not valid (the request is answered `401 Unauthorized`).
    func authenticate(authorization: String?) async -> UserInfo? {
        guard let header = authorization else { return .anonymous }
        if let user = configuration.authenticator.authenticate(authorization: header) { return user }
        guard header.lowercased().hasPrefix("bearer "), configuration.serviceAccountTokens != nil else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        do {
            return try await checkServiceAccountToken(token).user
        } catch {
            logger.debug("service account token rejected", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// Checks a ServiceAccount token as kube-apiserver's authenticator does: what the token
    /// proves (`ServiceAccountTokens.check`), then that its ServiceAccount, and the Pod, Secret or
    /// Node it is bound to, still exist with the uids it names and are not deleted (a deletion
    /// counts once its `deletionTimestamp` is more than 60 s past). A Secret-based token must
    /// still be the one in its Secret.
    func checkServiceAccountToken(_ token: String, audiences: [String]? = nil) async throws(TokenError) -> ServiceAccountClaims {
        guard let issuer = configuration.serviceAccountTokens else { throw TokenError("service account tokens are not enabled") }
        let now = Timestamp.now()
        let claims = try issuer.check(token, audiences: audiences, now: now)
        let ns = claims.namespace
        let sa = try await liveObject("serviceaccounts", ns, claims.serviceAccount.name, now: now)
        if let secretName = claims.legacySecretName {
            let secret = try await liveObject("secrets", ns, secretName, now: now)
            guard secret["metadata", "annotations", "kubernetes.io/service-account.name"]?.string == claims.serviceAccount.name,
                  secret["metadata", "annotations", "kubernetes.io/service-account.uid"]?.string == sa["metadata", "uid"]?.string,
                  secret["type"]?.string == "kubernetes.io/service-account-token",
                  let stored = secret["data", "token"]?.string, let bytes = Base64.decode(stored),
                  String(decoding: bytes, as: UTF8.self) == token else {
                throw TokenError("the token in secret \(ns)/\(secretName) does not match")
            }
        }
        try match(sa, claims.serviceAccount.uid, "service account")
        if let ref = claims.pod {
            let pod = try await liveObject("pods", ns, ref.name, now: now)
            try match(pod, ref.uid, "pod")
        }
        if let ref = claims.secret {
            try match(try await liveObject("secrets", ns, ref.name, now: now), ref.uid, "secret")
        }
        if let ref = claims.node, claims.pod == nil {
            try match(try await liveObject("nodes", nil, ref.name, now: now), ref.uid, "node")
        }
        return claims
    }

    private func liveObject(_ resource: String, _ namespace: String?, _ name: String, now: Double) async throws(TokenError) -> JSON {
        guard let type = registry.lookup(GroupResource(group: "", resource: resource)),
              let object = try? await store.get(type, namespace: namespace, name: name).object else {
            throw TokenError("\(resource) \(namespace.map { $0 + "/" } ?? "")\(name) not found")
        }
        if let deleted = object["metadata", "deletionTimestamp"]?.string.flatMap(Timestamp.parse), deleted < now - 60 {
            throw TokenError("\(resource) \(name) has been deleted")
        }
        return object
    }

    private func match(_ object: JSON, _ uid: String, _ what: String) throws(TokenError) {
        let have = object["metadata", "uid"]?.string ?? ""
        guard have == uid else { throw TokenError("\(what) UID (\(have)) does not match claim (\(uid))") }
    }
}

/// Standard base64 (Secret data) without Foundation in the caller.
enum Base64 {
    static func decode(_ s: String) -> [UInt8]? {
        JWT.base64URLDecode(s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: ""))
    }
}
