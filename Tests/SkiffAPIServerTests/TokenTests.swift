import Crypto
import Foundation
import Testing
import SkiffModel
@testable import SkiffAPIServer

/// ServiceAccount JWTs: signing, and every check `ServiceAccountTokens.check` makes.
@Suite struct TokenTests {
    static let keyPEM = P256.Signing.PrivateKey().pemRepresentation
    static let issuer = try! ServiceAccountTokens(keyPEM: keyPEM)
    static let sa = ServiceAccountTokens.Reference(name: "builder", uid: "sa-uid-1")
    static let t0: Int64 = 1_800_000_000

    func token(_ issuer: ServiceAccountTokens = issuer, audiences: [String] = [ServiceAccountTokens.defaultIssuer],
               seconds: Int64 = 3600, pod: ServiceAccountTokens.Reference? = nil) throws -> String {
        try issuer.sign(issuer.claims(namespace: "team", serviceAccount: Self.sa, pod: pod, audiences: audiences,
                                      issuedAt: Self.t0, expirationSeconds: seconds))
    }

    @Test func validTokenNamesTheServiceAccount() throws {
        let pod = ServiceAccountTokens.Reference(name: "web-0", uid: "pod-uid")
        let claims = try Self.issuer.check(try token(pod: pod), now: Double(Self.t0 + 10))
        #expect(claims.namespace == "team")
        #expect(claims.serviceAccount == Self.sa)
        #expect(claims.pod == pod)
        #expect(claims.audiences == [ServiceAccountTokens.defaultIssuer])
        let user = claims.user
        #expect(user.name == "system:serviceaccount:team:builder")
        #expect(user.uid == "sa-uid-1")
        #expect(user.groups == ["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"])
        #expect(user.extra["authentication.kubernetes.io/pod-name"] == ["web-0"])
    }

    @Test func headerAndClaimsAreKubernetesShaped() throws {
        let (header, claims) = try JWT.decode(try token(seconds: 600))
        #expect(header["alg"] == "ES256")
        #expect(header["kid"]?.string == Self.issuer.keyID)
        #expect(claims["iss"]?.string == ServiceAccountTokens.defaultIssuer)
        #expect(claims["sub"]?.string == "system:serviceaccount:team:builder")
        #expect(claims["exp"]?.int == Self.t0 + 600)
        #expect(claims["nbf"]?.int == Self.t0)
        #expect(claims["kubernetes.io", "serviceaccount", "uid"]?.string == "sa-uid-1")
    }

    @Test func tamperedSignatureIsRejected() throws {
        let t = try token()
        var sig = Array(t.split(separator: ".")[2])
        sig[5] = sig[5] == "A" ? "B" : "A"
        let tampered = t.split(separator: ".")[0...1].joined(separator: ".") + "." + String(sig)
        #expect(throws: TokenError.self) { try Self.issuer.check(tampered, now: Double(Self.t0)) }
    }

    @Test func aVerifiedTokenVouchesForNoOtherToken() throws {
        let t = try token()
        #expect(try Self.issuer.check(t, now: Double(Self.t0)).namespace == "team")  // verified and remembered
        #expect(try Self.issuer.check(t, now: Double(Self.t0 + 1)).namespace == "team")
        let parts = t.split(separator: ".").map(String.init)
        var claims = try JWT.decode(t).claims
        claims["kubernetes.io", "namespace"] = "kube-system"
        let forged = parts[0] + "." + JWT.base64URL(claims.serialized(sortedKeys: true)) + "." + parts[2]
        #expect(throws: TokenError.self) { try Self.issuer.check(forged, now: Double(Self.t0)) }
    }

    @Test func tamperedClaimsAreRejected() throws {
        let parts = try token().split(separator: ".").map(String.init)
        var claims = try JWT.decode(parts.joined(separator: ".")).claims
        claims["kubernetes.io", "serviceaccount", "name"] = "admin"
        let forged = parts[0] + "." + JWT.base64URL(claims.serialized(sortedKeys: true)) + "." + parts[2]
        #expect(throws: TokenError.self) { try Self.issuer.check(forged, now: Double(Self.t0)) }
    }

    @Test func anotherKeysTokenIsRejected() throws {
        let other = try ServiceAccountTokens(keyPEM: P256.Signing.PrivateKey().pemRepresentation)
        #expect(throws: TokenError.self) { try Self.issuer.check(try token(other), now: Double(Self.t0)) }
    }

    @Test func wrongAudienceIsRejected() throws {
        let t = try token(audiences: ["vault"])
        #expect(throws: TokenError.self) { try Self.issuer.check(t, now: Double(Self.t0)) }
        #expect(try Self.issuer.check(t, audiences: ["vault", "other"], now: Double(Self.t0)).audiences == ["vault"])
    }

    @Test func expiredTokenIsRejectedAfterTheLeeway() throws {
        let t = try token(seconds: 600)
        #expect(try Self.issuer.check(t, now: Double(Self.t0 + 600 + 30)).namespace == "team")
        #expect(throws: TokenError("service account token has expired")) { try Self.issuer.check(t, now: Double(Self.t0 + 600 + 61)) }
    }

    @Test func notYetValidTokenIsRejected() throws {
        #expect(throws: TokenError.self) { try Self.issuer.check(try token(), now: Double(Self.t0 - 120)) }
    }

    @Test func wrongIssuerIsRejected() throws {
        let other = try ServiceAccountTokens(keyPEM: Self.keyPEM, issuer: "https://elsewhere.example")
        let t = try token(other, audiences: [ServiceAccountTokens.defaultIssuer])
        #expect(!Self.issuer.isCandidate(t))
        #expect(throws: TokenError.self) { try Self.issuer.check(t, now: Double(Self.t0)) }
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c", "e30.e30.", "!!.e30.e30"])
    func malformedTokensAreRejected(token: String) {
        #expect(throws: TokenError.self) { try Self.issuer.check(token, now: Double(Self.t0)) }
    }

    @Test func legacyTokensCarryTheirSecret() throws {
        let t = try Self.issuer.sign(ServiceAccountTokens.legacyClaims(namespace: "team", serviceAccount: Self.sa, secretName: "builder-token"))
        let claims = try Self.issuer.check(t, now: Double(Self.t0) + 1e8)
        #expect(claims.legacySecretName == "builder-token")
        #expect(claims.user.name == "system:serviceaccount:team:builder")
    }

    @Test func jwksHoldsThePublicKey() throws {
        let key = try #require(Self.issuer.jwks["keys"]?.array?.first)
        let x = try #require(JWT.base64URLDecode(key["x"]?.string ?? "")), y = try #require(JWT.base64URLDecode(key["y"]?.string ?? ""))
        let pub = try P256.Signing.PublicKey(x963Representation: [4] + x + y)
        let t = try token()
        #expect(throws: Never.self) { try JWT.verify(t, key: pub) }
        #expect(key["kid"]?.string == Self.issuer.keyID)
    }

    @Test func signingKeyIsCreatedOnceAndReused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-sa-key-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try ServiceAccountTokens.loadOrCreateKey(path: dir + "/sa.key")
        let second = try ServiceAccountTokens.loadOrCreateKey(path: dir + "/sa.key")
        #expect(first == second)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/sa.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func admissionMountsTheTokenVolumeInEveryContainer() throws {
        var spec: JSON = [
            "initContainers": [["name": "init", "image": "busybox"]],
            "containers": [["name": "a", "image": "busybox"],
                           ["name": "b", "image": "busybox",
                            "volumeMounts": [["name": "own", "mountPath": .string(APIServer.serviceAccountMountPath)]]]],
        ]
        APIServer.mountServiceAccountToken(&spec)
        let volumes = spec["volumes"]?.array ?? []
        #expect(volumes.count == 1)
        let name = volumes.first?["name"]?.string ?? ""
        #expect(name.hasPrefix("kube-api-access-") && name.count == "kube-api-access-".count + 5)
        #expect(volumes.first?["projected", "sources"]?.array?.first?["serviceAccountToken", "expirationSeconds"] == 3607)
        let mount: JSON = ["name": .string(name), "readOnly": true, "mountPath": .string(APIServer.serviceAccountMountPath)]
        #expect(spec["initContainers"]?.array?[0]["volumeMounts"] == [mount])
        #expect(spec["containers"]?.array?[0]["volumeMounts"] == [mount])
        #expect(spec["containers"]?.array?[1]["volumeMounts"]?.array?.count == 1)  // its own mount wins
    }
}
