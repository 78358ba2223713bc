import Logging
import Synchronization
import NIOHTTP1
import SkiffModel
import SkiffStorage

/// The Kubernetes API over HTTP: authentication, discovery, and the generic resource handlers.
public final class APIServer: Sendable {
    public struct Configuration: Sendable {
        /// `gitVersion` and friends reported at `/version`.
        public var version: VersionInfo
        public var authenticator: TokenAuthenticator
        /// Issues (`serviceaccounts/token`) and accepts ServiceAccount tokens; nil: neither.
        public var serviceAccountTokens: ServiceAccountTokens?
        /// Kubernetes' `ServiceAccount` admission plugin on Pod create (default account, the
        /// account must exist, the `kube-api-access-*` volume). Off unless turned on.
        public var serviceAccountAdmission: Bool
        /// How `pods/log`, `pods/exec` and `nodes/proxy` reach node agents.
        public var kubelet: KubeletClientConfiguration
        /// Authorize every request with RBAC (`--authorization-mode=RBAC`); off: any
        /// authenticated user may do anything. Off unless turned on.
        public var rbac: Bool

        public init(version: VersionInfo = .current, authenticator: TokenAuthenticator,
                    serviceAccountTokens: ServiceAccountTokens? = nil, serviceAccountAdmission: Bool = false,
                    kubelet: KubeletClientConfiguration = .default, rbac: Bool = false) {
            self.version = version
            self.authenticator = authenticator
            self.serviceAccountTokens = serviceAccountTokens
            self.serviceAccountAdmission = serviceAccountAdmission
            self.kubelet = kubelet
            self.rbac = rbac
        }
    }

    public let configuration: Configuration
    public let registry: Registry
    public let store: ResourceStore
    let logger: Logger
    let ready = ReadyFlag()
    let openAPICache = OpenAPICache()

    public init(configuration: Configuration, registry: Registry, store: ResourceStore, logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.store = store
        self.logger = logger
    }

    /// Rebuilds what depends on the set of served resources (OpenAPI) on next use.
    public func servedResourcesChanged() { openAPICache.invalidate() }

    /// Marks the server ready (`/readyz` answers ok) once the cache has loaded.
    public func markReady() { ready.set() }

    /// Answers one request. Never throws: every failure becomes a `Status` response.
    public func handle(_ request: Request) async -> Response {
        var request = request
        guard let user = await authenticate(authorization: request.headers.first(name: "authorization")) else {
            return .error(.unauthorized())
        }
        request.user = user
        let info = RequestInfo(method: request.method, path: request.path, query: request.query)
        do {
            request.user = try await impersonate(request)
            if !info.isResourceRequest {
                return try await handleNonResource(request, info)
            }
            try await authorize(AuthorizationAttributes(user: request.user, verb: info.verb, isResourceRequest: true, group: info.group,
                                                        resource: info.resource, subresource: info.subresource,
                                                        namespace: info.namespace, name: info.name))
            return try await handleResource(request, info)
        } catch let error as APIError {
            return .error(error)
        } catch {
            return .error(.internalError("\(error)"))
        }
    }

    func handleNonResource(_ request: Request, _ info: RequestInfo) async throws -> Response {
        let segs = info.segments
        switch segs.first {
        case "healthz", "livez", "readyz":
            return await health(request, segs)
        case "version":
            return .json(configuration.version.json)
        default:
            break
        }
        try await authorize(AuthorizationAttributes(user: request.user, verb: request.method.rawValue.lowercased(), isResourceRequest: false,
                                                    path: request.path))
        switch segs.first {
        case "api", "apis":
            return try discovery(request, segs)
        case ".well-known", "openid":
            return try serviceAccountIssuerDiscovery(segs)
        case "openapi", "swagger-2.0.0.pb-v1":
            return try openAPI(request, segs)
        default:
            throw APIError.pathNotFound()
        }
    }

    func handleResource(_ request: Request, _ info: RequestInfo) async throws -> Response {
        guard let type = registry.lookup(group: info.group, version: info.version, plural: info.resource) else {
            throw APIError.pathNotFound()
        }
        var context = try RequestContext(request: request, info: info, type: type)
        let named = !info.name.isEmpty
        if info.subresource.isEmpty {
            let misaddressed = (info.verb == "create" && named) || (["update", "patch"].contains(info.verb) && !named)
            if misaddressed || (!type.verbs.contains(info.verb) && !(info.verb == "watch" && type.verbs.contains("list"))) {
                throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource",
                               details: .init())
            }
        }
        var response: Response
        if type.group == "metrics.k8s.io" {
            guard info.subresource.isEmpty else { throw APIError.pathNotFound() }
            return try await metrics(&context)
        }
        switch (info.verb, info.subresource) {
        case ("get", ""): response = try await get(&context)
        case ("list", ""): response = try await list(&context)
        case ("watch", ""): response = try await watch(&context)
        case ("create", "") where type.group == "authentication.k8s.io" || type.group == "authorization.k8s.io":
            response = try await review(&context)
        case ("create", ""): response = try await create(&context)
        case ("update", ""), ("update", "status"): response = try await update(&context)
        case ("patch", ""), ("patch", "status"): response = try await patch(&context)
        case ("delete", ""): response = try await delete(&context)
        case ("deletecollection", ""): response = try await deleteCollection(&context)
        case ("get", "status"): response = try await get(&context)
        case ("get", "scale"), ("update", "scale"), ("patch", "scale"): response = try await scale(&context)
        case ("create", "binding"): response = try await bind(&context)
        case ("create", "eviction"): response = try await evict(&context)
        case ("update", "finalize"): response = try await finalize(&context)
        case ("create", "token"): response = try await createToken(&context)
        case ("get", "log") where type.plural == "pods": response = try await podLog(&context)
        case ("get", "exec"), ("create", "exec"), ("get", "attach"), ("create", "attach"), ("get", "portforward"), ("create", "portforward"):
            guard type.plural == "pods" else { throw APIError.pathNotFound() }
            response = try await podConnect(&context)
        case (_, let sub) where type.plural == "nodes" && (sub == "proxy" || sub.hasPrefix("proxy/")):
            response = try await nodeProxy(&context)
        default:
            throw APIError.pathNotFound()
        }
        for w in context.warnings { response.addWarning(w) }
        return response
    }
}

/// Whether the server has finished starting.
final class ReadyFlag: Sendable {
    let flag = Synchronization.Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// `/version` (version.Info).
public struct VersionInfo: Sendable {
    public var major: String
    public var minor: String
    public var gitVersion: String

    public static let current = VersionInfo(major: "1", minor: "33", gitVersion: "v1.33.0+skiff.0.1.0")

    public var json: JSON {
        [
            "major": .string(major), "minor": .string(minor), "gitVersion": .string(gitVersion),
            "gitCommit": "", "gitTreeState": "clean", "buildDate": "2026-11-28T00:00:00Z",
            "goVersion": "swift6.3", "compiler": "swiftc", "platform": "linux/amd64",
        ]
    }
}
