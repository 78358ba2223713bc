import Logging
import SkiffAPIServer
import SkiffClient
import SkiffInProcess
import SkiffModel
import SkiffStorage
@testable import SkiffControllers

/// A real API server over an in-memory store, in this process, for the length of a test, with a
/// client that reaches it through an in-process transport.
struct HousekeepingCluster: Sendable {
    static let token = "housekeeping-test-token"
    let api: APIServer
    let client: Client

    static var logger: Logger {
        var l = Logger(label: "skiff-controllers-test")
        l.logLevel = .error
        return l
    }

    static func with<T: Sendable>(_ body: @Sendable (HousekeepingCluster) async throws -> T) async throws -> T {
        let backend = MemoryBackend()
        let registry = Registry(BuiltinKinds.all)
        let cache = WatchCache(backend: backend, registry: registry, logger: logger)
        let store = ResourceStore(backend: backend, cache: cache, registry: registry)
        let admin = UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])
        let api = APIServer(configuration: .init(authenticator: TokenAuthenticator(tokens: [token: admin])),
                            registry: registry, store: store, logger: logger)
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            let loaded = try await cache.load()
            group.addTask { try await cache.follow(from: loaded) }
            try await Bootstrap.ensureNamespaces(store: store, registry: registry)
            api.markReady()
            let cluster = HousekeepingCluster(api: api, client: Client(transport: InProcessTransport(api: api, bearerToken: HousekeepingCluster.token), userAgent: "housekeeping-tests"))
            do {
                let result = try await body(cluster)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
        await backend.close()
        return result
    }

    /// Runs `controllers` (built over shared informers) while `body` runs, then cancels them.
    func running<T: Sendable>(_ make: (Client, SharedInformers) -> [any HousekeepingTestController],
                              _ body: @Sendable () async throws -> T) async throws -> T {
        let informers = SharedInformers(client: client, logger: Self.logger)
        return try await running(make(client, informers), informers: informers, body)
    }

    /// Runs `controllers`, made over `informers`, while `body` runs, then cancels them.
    func running<T: Sendable>(_ controllers: [any HousekeepingTestController], informers: SharedInformers,
                              _ body: @Sendable () async throws -> T) async throws -> T {
        for c in controllers { try await c.prepare() }
        informers.start()
        let runs: [@Sendable () async throws -> Void] = controllers.map { c in { @Sendable in try await c.run() } }
        return try await whileRunning([{ await informers.run() }] + runs, body)
    }

    /// Returns once the object `name` satisfies `predicate` (nil: it does not exist), watching
    /// for changes; fails after `timeout`.
    func waitFor(_ resource: Resource, namespace: String? = nil, name: String, timeout: Duration = .seconds(10),
                 _ what: String = "condition", _ predicate: @escaping @Sendable (JSON?) -> Bool) async throws {
        let client = self.client
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                let list = try await client.list(resource, namespace: namespace)
                var current = list.items.first { $0["metadata", "name"]?.string == name }
                if predicate(current) { return true }
                var rv = list.resourceVersion
                while !Task.isCancelled {
                    for try await event in try await client.watch(resource, namespace: namespace, options: .init(resourceVersion: rv)) {
                        if let v = event.resourceVersion { rv = v }
                        guard event.type != .bookmark, event.object["metadata", "name"]?.string == name else { continue }
                        current = event.type == .deleted ? nil : event.object
                        if predicate(current) { return true }
                    }
                }
                return false
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let met = try await group.next() ?? false
            group.cancelAll()
            if !met { throw TimedOut(message: "\(resource) \(namespace ?? "")/\(name): \(what) not met within \(timeout)") }
        }
    }

    func waitGone(_ resource: Resource, namespace: String? = nil, name: String, timeout: Duration = .seconds(10)) async throws {
        try await waitFor(resource, namespace: namespace, name: name, timeout: timeout, "deleted") { $0 == nil }
    }

    func exists(_ resource: Resource, namespace: String? = nil, name: String) async throws -> JSON? {
        do {
            return try await client.get(resource, namespace: namespace, name: name)
        } catch let e as APIError where e.isNotFound {
            return nil
        }
    }

    func createNamespace(_ name: String) async throws {
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// What the fixture runs: a controller with an optional step before the informers start.
protocol HousekeepingTestController: Sendable {
    func prepare() async throws
    func run() async throws
}

extension HousekeepingTestController {
    func prepare() async throws {}
}

extension NamespaceController: HousekeepingTestController {}
extension ServiceAccountController: HousekeepingTestController {}
extension RootCAPublisher: HousekeepingTestController {}
extension GarbageCollector: HousekeepingTestController {}

/// Objects the housekeeping tests create.
enum HK {
    static func configMap(_ name: String, namespace: String = "default", owners: [JSON] = [], finalizers: [String] = []) -> JSON {
        var meta: JSON = ["name": .string(name), "namespace": .string(namespace)]
        if !owners.isEmpty { meta["ownerReferences"] = .array(owners) }
        if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers.map { .string($0) }) }
        return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": ["k": "v"]]
    }

    static func ownerReference(to owner: JSON, block: Bool = false) -> JSON {
        var ref: JSON = ["apiVersion": owner["apiVersion"] ?? "v1", "kind": owner["kind"] ?? "ConfigMap",
                         "name": owner["metadata", "name"] ?? "", "uid": owner["metadata", "uid"] ?? ""]
        if block { ref["blockOwnerDeletion"] = true }
        return ref
    }
}
