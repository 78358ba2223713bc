import Crypto
import Foundation
import SkiffModel
import Synchronization

/// Issues and checks ServiceAccount tokens: ES256 JWTs as kube-apiserver signs them with
/// `--service-account-signing-key-file` for `--service-account-issuer` and `--api-audiences`.
///
/// `check` covers what the token itself proves (signature, issuer, audience, `exp`/`nbf`); that
/// the ServiceAccount and a bound object still exist is the API server's part (it has the store).
public struct ServiceAccountTokens: Sendable {
    public static let defaultIssuer = "https://kubernetes.default.svc.cluster.local"
    /// The issuer of Secret-based (legacy) tokens, which carry no audience and no expiry.
    public static let legacyIssuer = "kubernetes/serviceaccount"
    /// What kubelet asks for in the `kube-api-access` volume: such Pod-bound tokens are valid a
    /// year but carry `warnafter` (`--service-account-extend-token-expiration`, on by default).
    public static let warnOnlyExpirationSeconds: Int64 = 3607
    static let extendedExpirationSeconds: Int64 = 365 * 24 * 3600
    /// Clock skew allowed on `exp`, `nbf` and `iat` (go-jose's default leeway).
    static let leeway: Double = 60

    public var issuer: String
    /// The audiences the API server identifies as; tokens for none of them are rejected.
    public var audiences: [String]
    public var extendExpiration = true
    let key: SigningKey

    public init(keyPEM: String, issuer: String = defaultIssuer, audiences: [String]? = nil) throws {
        self.key = SigningKey(try P256.Signing.PrivateKey(pemRepresentation: keyPEM))
        self.issuer = issuer
        self.audiences = audiences ?? [issuer]
    }

    /// The key's PEM at `path`, created (mode 0600) if missing, as PKI keeps the CA's key.
    public static func loadOrCreateKey(path: String) throws -> String {
        if let pem = try? String(contentsOfFile: path, encoding: .utf8), (try? P256.Signing.PrivateKey(pemRepresentation: pem)) != nil {
            return pem
        }
        let pem = P256.Signing.PrivateKey().pemRepresentation
        try PKI.write(pem, to: path, mode: 0o600)
        return pem
    }

    /// `kid`: base64url of the SHA-256 of the public key's DER, as Kubernetes computes it.
    public var keyID: String { key.id }

    /// The public key in PEM (`--service-account-key-file` for other verifiers).
    public var publicKeyPEM: String { key.publicKey.pemRepresentation }

    /// The JSON Web Key Set served at `/openid/v1/jwks`.
    public var jwks: JSON {
        let x963 = Array(key.publicKey.x963Representation)  // 0x04 || X || Y
        return ["keys": [["use": "sig", "kty": "EC", "kid": .string(keyID), "crv": "P-256", "alg": "ES256",
                          "x": .string(JWT.base64URL(Array(x963[1...32]))), "y": .string(JWT.base64URL(Array(x963[33...64])))]]]
    }

    /// Signs claims made by `claims(...)` or `legacyClaims(...)`.
    public func sign(_ claims: JSON) throws -> String {
        try JWT.sign(claims, key: key.privateKey, keyID: keyID)
    }

    /// An object a token is bound to, or a part of its identity.
    public struct Reference: Sendable, Equatable {
        public var name: String
        public var uid: String
        public init(name: String, uid: String) { self.name = name; self.uid = uid }
        var json: JSON { ["name": .string(name), "uid": .string(uid)] }
        init?(_ j: JSON?) {
            guard let name = j?["name"]?.string, let uid = j?["uid"]?.string else { return nil }
            self.init(name: name, uid: uid)
        }
    }

    /// The claims of a TokenRequest token (pkg/serviceaccount's `Claims`): `sub`, `aud`, `iat`,
    /// `nbf`, `exp`, `jti` and the private `kubernetes.io` claim. `warnAfter` is set when the
    /// expiry was extended.
    public func claims(namespace: String, serviceAccount: Reference, pod: Reference? = nil, secret: Reference? = nil,
                       node: Reference? = nil, audiences: [String], issuedAt: Int64, expirationSeconds: Int64,
                       warnAfter: Int64? = nil) -> JSON {
        var k8s: JSON = ["namespace": .string(namespace), "serviceaccount": serviceAccount.json]
        if let pod { k8s["pod"] = pod.json }
        if let secret { k8s["secret"] = secret.json }
        if let node { k8s["node"] = node.json }
        if let warnAfter { k8s["warnafter"] = .int(issuedAt + warnAfter) }
        return [
            "iss": .string(issuer), "sub": .string("system:serviceaccount:\(namespace):\(serviceAccount.name)"),
            "aud": .array(audiences.map { .string($0) }), "iat": .int(issuedAt), "nbf": .int(issuedAt),
            "exp": .int(issuedAt + expirationSeconds), "jti": .string(UUID().uuidString.lowercased()), "kubernetes.io": k8s,
        ]
    }

    /// The claims of a token for a `kubernetes.io/service-account-token` Secret.
    public static func legacyClaims(namespace: String, serviceAccount: Reference, secretName: String) -> JSON {
        [
            "iss": .string(legacyIssuer), "sub": .string("system:serviceaccount:\(namespace):\(serviceAccount.name)"),
            "kubernetes.io/serviceaccount/namespace": .string(namespace),
            "kubernetes.io/serviceaccount/secret.name": .string(secretName),
            "kubernetes.io/serviceaccount/service-account.name": .string(serviceAccount.name),
            "kubernetes.io/serviceaccount/service-account.uid": .string(serviceAccount.uid),
        ]
    }

    /// Whether a bearer token is a JWT this issuer (or the legacy one) may have signed; other
    /// tokens are left to other authenticators.
    public func isCandidate(_ token: String) -> Bool {
        guard let (_, claims) = try? JWT.decode(token), let iss = claims["iss"]?.string else { return false }
        return iss == issuer || iss == Self.legacyIssuer
    }

    /// What a valid token says, or why it is not valid. `audiences` are the ones the checker
    /// identifies as (default: the API server's); the token needs one of them.
    public func check(_ token: String, audiences wanted: [String]? = nil, now: Double) throws(TokenError) -> ServiceAccountClaims {
        let claims: JSON
        do { claims = try key.verifiedClaims(token) } catch { throw TokenError("invalid token: \(error)") }
        let iss = claims["iss"]?.string ?? ""
        if iss == Self.legacyIssuer { return try ServiceAccountClaims(legacy: claims, audiences: wanted ?? audiences) }
        guard iss == issuer else { throw TokenError("token issuer \"\(iss)\" is not \"\(issuer)\"") }
        let aud = claims["aud"]?.array?.compactMap(\.string) ?? claims["aud"]?.string.map { [$0] } ?? []
        let matched = (wanted ?? audiences).filter(aud.contains)
        guard !matched.isEmpty else { throw TokenError("token audiences \(aud) is invalid for the target audiences \(wanted ?? audiences)") }
        guard let exp = claims["exp"]?.double else { throw TokenError("token has no expiry") }
        if now > exp + Self.leeway { throw TokenError("service account token has expired") }
        if let nbf = claims["nbf"]?.double, now + Self.leeway < nbf { throw TokenError("service account token is not valid yet") }
        if let iat = claims["iat"]?.double, now + Self.leeway < iat { throw TokenError("service account token is issued in the future") }
        let k8s = claims["kubernetes.io"]
        guard let namespace = k8s?["namespace"]?.string, let sa = Reference(k8s?["serviceaccount"]) else {
            throw TokenError("token could not be validated")
        }
        return ServiceAccountClaims(namespace: namespace, serviceAccount: sa, pod: Reference(k8s?["pod"]), secret: Reference(k8s?["secret"]),
                                    node: Reference(k8s?["node"]), credentialID: claims["jti"]?.string, audiences: matched,
                                    expiration: exp, legacySecretName: nil)
    }
}

/// Why a token is not accepted. Clients only ever see `401 Unauthorized`; the reason is for
/// TokenReview's `status.error` and the log.
public struct TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// What a valid ServiceAccount token says.
public struct ServiceAccountClaims: Sendable, Equatable {
    public var namespace: String
    public var serviceAccount: ServiceAccountTokens.Reference
    public var pod: ServiceAccountTokens.Reference?
    public var secret: ServiceAccountTokens.Reference?
    public var node: ServiceAccountTokens.Reference?
    /// `jti`, reported as the `authentication.kubernetes.io/credential-id` extra.
    public var credentialID: String?
    /// The checker's audiences the token is for.
    public var audiences: [String]
    public var expiration: Double?
    /// For a Secret-based token: the Secret that must still hold it.
    public var legacySecretName: String?

    init(namespace: String, serviceAccount: ServiceAccountTokens.Reference, pod: ServiceAccountTokens.Reference?,
         secret: ServiceAccountTokens.Reference?, node: ServiceAccountTokens.Reference?, credentialID: String?,
         audiences: [String], expiration: Double?, legacySecretName: String?) {
        self.namespace = namespace
        self.serviceAccount = serviceAccount
        self.pod = pod
        self.secret = secret
        self.node = node
        self.credentialID = credentialID
        self.audiences = audiences
        self.expiration = expiration
        self.legacySecretName = legacySecretName
    }

    init(legacy c: JSON, audiences: [String]) throws(TokenError) {
        let p = "kubernetes.io/serviceaccount/"
        guard let ns = c[p + "namespace"]?.string, let secret = c[p + "secret.name"]?.string,
              let name = c[p + "service-account.name"]?.string, let uid = c[p + "service-account.uid"]?.string,
              !ns.isEmpty, !secret.isEmpty, !name.isEmpty else { throw TokenError("token could not be validated") }
        self.init(namespace: ns, serviceAccount: .init(name: name, uid: uid), pod: nil, secret: nil, node: nil,
                  credentialID: nil, audiences: audiences, expiration: nil, legacySecretName: secret)
    }

    /// The identity: `system:serviceaccount:<ns>:<name>`, its groups, the ServiceAccount's uid,
    /// and the extras Kubernetes adds for bound tokens.
    public var user: UserInfo {
        var extra: [String: [String]] = [:]
        if let pod {
            extra["authentication.kubernetes.io/pod-name"] = [pod.name]
            extra["authentication.kubernetes.io/pod-uid"] = [pod.uid]
        }
        if let node {
            extra["authentication.kubernetes.io/node-name"] = [node.name]
            extra["authentication.kubernetes.io/node-uid"] = [node.uid]
        }
        if let credentialID { extra["authentication.kubernetes.io/credential-id"] = ["JTI=\(credentialID)"] }
        return UserInfo(name: "system:serviceaccount:\(namespace):\(serviceAccount.name)", uid: serviceAccount.uid,
                        groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"], extra: extra)
    }
}

/// The signing key pair. `@unchecked Sendable`: immutable after init, and swift-crypto's keys are
/// value types over BoringSSL keys that are safe to use from several threads for sign/verify.
final class SigningKey: @unchecked Sendable {
    let privateKey: P256.Signing.PrivateKey
    let publicKey: P256.Signing.PublicKey
    let id: String
    /// The claims of tokens whose signature was verified already. A token's claims are fixed by
    /// its bytes, so a token found here is as good as verified again (an ECDSA verification is
    /// most of an authenticated request's cost); expiry and the rest are still checked on each use.
    let verified = Mutex<[String: JSON]>([:])
    static let verifiedCapacity = 256

    /// `JWT.verify` against this key, remembered per token.
    func verifiedClaims(_ token: String) throws(JWT.Failure) -> JSON {
        if let claims = verified.withLock({ $0[token] }) { return claims }
        let claims = try JWT.verify(token, key: publicKey)
        verified.withLock { cache in
            if cache.count >= Self.verifiedCapacity { cache.removeAll(keepingCapacity: true) }
            cache[token] = claims
        }
        return claims
    }

    init(_ key: P256.Signing.PrivateKey) {
        privateKey = key
        publicKey = key.publicKey
        id = JWT.base64URL(Array(SHA256.hash(data: key.publicKey.derRepresentation)))
    }
}
