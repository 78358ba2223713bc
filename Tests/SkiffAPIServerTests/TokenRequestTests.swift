import Crypto
import NIOHTTP1
import Testing
import SkiffModel
@testable import SkiffAPIServer

/// `serviceaccounts/token`, authentication with the tokens it issues, TokenReview,
/// SelfSubjectReview and the ServiceAccount admission of Pods, through `APIServer.handle`.
@Suite(.timeLimit(.minutes(1))) struct TokenRequestTests {
    static let admin = "admin-token"

    func withServer(_ body: @Sendable (APIServer, StoreFixture) async throws -> Void) async throws {
        try await StoreFixture.with { f in
            let users = [Self.admin: UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])]
            let tokens = try ServiceAccountTokens(keyPEM: P256.Signing.PrivateKey().pemRepresentation)
            let api = APIServer(configuration: .init(authenticator: TokenAuthenticator(tokens: users), serviceAccountTokens: tokens,
                                                     serviceAccountAdmission: true),
                                registry: f.registry, store: f.store, logger: StoreFixture.logger)
            try await body(api, f)
        }
    }

    func call(_ api: APIServer, _ method: HTTPMethod, _ uri: String, token: String = admin, body: JSON? = nil) async -> (Int, JSON) {
        let request = Request(method: method, uri: uri, headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
                              body: body?.serialized() ?? [])
        let response = await api.handle(request)
        guard case .bytes(let bytes) = response.body else { return (Int(response.status.code), .null) }
        return (Int(response.status.code), (try? JSON.parse(bytes)) ?? .null)
    }

    func serviceAccount(_ api: APIServer, _ name: String) async -> JSON {
        await call(api, .POST, "/api/v1/namespaces/default/serviceaccounts",
                   body: ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(name)]]).1
    }

    func requestToken(_ api: APIServer, _ sa: String, spec: JSON = [:]) async -> (Int, JSON) {
        await call(api, .POST, "/api/v1/namespaces/default/serviceaccounts/\(sa)/token",
                   body: ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec])
    }

    @Test func issuedTokenAuthenticatesUntilTheServiceAccountIsGone() async throws {
        try await withServer { api, _ in
            let sa = await serviceAccount(api, "robot")
            let (code, tr) = await requestToken(api, "robot")
            #expect(code == 201)
            #expect(tr["spec", "expirationSeconds"] == 3600)
            #expect(tr["spec", "audiences"] == [.string(ServiceAccountTokens.defaultIssuer)])
            let token = try #require(tr["status", "token"]?.string)
            #expect(await call(api, .GET, "/api", token: token).0 == 200)
            let (_, review) = await call(api, .POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", token: token,
                                         body: ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"])
            #expect(review["status", "userInfo", "username"] == "system:serviceaccount:default:robot")
            #expect(review["status", "userInfo", "uid"] == sa["metadata", "uid"])
            #expect(review["status", "userInfo", "groups"] == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"])
            _ = await call(api, .DELETE, "/api/v1/namespaces/default/serviceaccounts/robot")
            let (denied, status) = await call(api, .GET, "/api", token: token)
            #expect(denied == 401)
            #expect(status["reason"] == "Unauthorized")
            _ = await serviceAccount(api, "robot")  // same name, new uid
            #expect(await call(api, .GET, "/api", token: token).0 == 401)
        }
    }

    @Test func tokenForAMissingServiceAccountIsNotFound() async throws {
        try await withServer { api, _ in
            let (code, status) = await requestToken(api, "nobody")
            #expect(code == 404)
            #expect(status["message"] == "serviceaccounts \"nobody\" not found")
        }
    }

    @Test func shortExpiryIsInvalid() async throws {
        try await withServer { api, _ in
            _ = await serviceAccount(api, "robot")
            let (code, status) = await requestToken(api, "robot", spec: ["expirationSeconds": 599])
            #expect(code == 422)
            #expect(status["message"]?.string?.contains("may not specify a duration less than 10 minutes") == true)
        }
    }

    @Test func podBoundTokenDiesWithThePod() async throws {
        try await withServer { api, _ in
            _ = await serviceAccount(api, "robot")
            var pod = Fixtures.pod("web")
            pod["spec", "serviceAccountName"] = "robot"
            let (created, stored) = await call(api, .POST, "/api/v1/namespaces/default/pods", body: pod)
            #expect(created == 201)
            let volumes = stored["spec", "volumes"]?.array ?? []
            #expect(volumes.first?["name"]?.string?.hasPrefix("kube-api-access-") == true)
            let ref: JSON = ["apiVersion": "v1", "kind": "Pod", "name": "web", "uid": stored["metadata", "uid"] ?? ""]
            let (code, tr) = await requestToken(api, "robot", spec: ["boundObjectRef": ref])
            #expect(code == 201)
            let token = try #require(tr["status", "token"]?.string)
            let (_, claims) = try JWT.decode(token)
            #expect(claims["kubernetes.io", "pod", "name"] == "web")
            let (_, review) = await call(api, .POST, "/apis/authentication.k8s.io/v1/tokenreviews",
                                         body: ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": ["token": .string(token)]])
            #expect(review["status", "authenticated"] == true)
            #expect(review["status", "user", "extra", "authentication.kubernetes.io/pod-name"] == ["web"])
            #expect(await call(api, .GET, "/api", token: token).0 == 200)
            _ = await call(api, .DELETE, "/api/v1/namespaces/default/pods/web")
            #expect(await call(api, .GET, "/api", token: token).0 == 401)
            let (_, after) = await call(api, .POST, "/apis/authentication.k8s.io/v1/tokenreviews",
                                        body: ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": ["token": .string(token)]])
            #expect(after["status", "authenticated"] == nil)
            #expect(after["status", "error"]?.string?.isEmpty == false)
        }
    }

    @Test func podForAMissingServiceAccountIsForbidden() async throws {
        try await withServer { api, _ in
            var pod = Fixtures.pod("web")
            pod["spec", "serviceAccountName"] = "ghost"
            let (code, status) = await call(api, .POST, "/api/v1/namespaces/default/pods", body: pod)
            #expect(code == 403)
            #expect(status["message"] == "pods \"web\" is forbidden: error looking up service account default/ghost: serviceaccount \"ghost\" not found")
        }
    }

    @Test func automountFalseOnTheServiceAccountAddsNoVolume() async throws {
        try await withServer { api, _ in
            _ = await call(api, .POST, "/api/v1/namespaces/default/serviceaccounts",
                           body: ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "quiet"], "automountServiceAccountToken": false])
            var pod = Fixtures.pod("calm")
            pod["spec", "serviceAccountName"] = "quiet"
            let (code, stored) = await call(api, .POST, "/api/v1/namespaces/default/pods", body: pod)
            #expect(code == 201)
            #expect(stored["spec", "volumes"] == nil)
            #expect(stored["spec", "containers"]?.array?.first?["volumeMounts"] == nil)
        }
    }

    @Test func garbageBearerTokenIsUnauthorized() async throws {
        try await withServer { api, _ in
            #expect(await call(api, .GET, "/api", token: "not-a-token").0 == 401)
            #expect(await call(api, .GET, "/api", token: "e30.e30.e30").0 == 401)
        }
    }
}
