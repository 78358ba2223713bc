import Logging
import SkiffModel
import SkiffStorage
@testable import SkiffAPIServer

/// A `ResourceStore` over a `MemoryBackend`, its watch cache following the backend, for the
/// length of `body`. The four standard namespaces exist unless `bootstrap` is false.
struct StoreFixture: Sendable {
    let store: ResourceStore
    let backend: MemoryBackend

    var cache: WatchCache { store.cache }
    var registry: Registry { store.registry }

    static var logger: Logger {
        var l = Logger(label: "skiff-apiserver-test")
        l.logLevel = .error
        return l
    }

    /// `windowCapacity` is the watch cache's event window: small values make old watches 410.
    static func with<T: Sendable>(windowCapacity: Int = 10_000, bootstrap: Bool = true,
                                  _ body: @Sendable (StoreFixture) async throws -> T) async throws -> T {
        let backend = MemoryBackend()
        let registry = Registry(BuiltinKinds.all)
        let cache = WatchCache(backend: backend, registry: registry, windowCapacity: windowCapacity, logger: logger)
        let store = ResourceStore(backend: backend, cache: cache, registry: registry)
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            let loaded = try await cache.load()
            group.addTask { try await cache.follow(from: loaded) }
            defer { group.cancelAll() }
            if bootstrap { try await Bootstrap.ensureNamespaces(store: store, registry: registry) }
            return try await body(StoreFixture(store: store, backend: backend))
        }
        await backend.close()
        return result
    }

    func type(_ group: String, _ plural: String) -> ResourceType {
        registry.lookup(GroupResource(group: group, resource: plural))!
    }

    var configMaps: ResourceType { type("", "configmaps") }
    var pods: ResourceType { type("", "pods") }
    var deployments: ResourceType { type("apps", "deployments") }
    var namespaces: ResourceType { type("", "namespaces") }

    /// Creates `object`, failing the test on error.
    @discardableResult
    func create(_ type: ResourceType, _ object: JSON, manager: FieldManager? = nil) async throws -> JSON {
        try await store.create(type, object, dryRun: false, manager: manager)
    }

    /// Replaces `object` (PUT to the main resource unless `target` says otherwise).
    @discardableResult
    func update(_ type: ResourceType, _ object: JSON, target: ResourceStore.UpdateTarget = .main,
                manager: FieldManager? = nil) async throws -> JSON {
        let ns = object["metadata", "namespace"]?.string
        let name = object["metadata", "name"]?.string ?? ""
        return try await store.update(type, namespace: ns, name: name, object, target: target, dryRun: false, manager: manager).0
    }

    /// The object as a read through the cache returns it.
    func get(_ type: ResourceType, _ namespace: String?, _ name: String) async throws -> JSON {
        try await store.get(type, namespace: namespace, name: name).object
    }

    func delete(_ type: ResourceType, _ namespace: String?, _ name: String, _ configure: (inout DeleteOptions) -> Void = { _ in })
        async throws -> DeleteResult {
        var options = DeleteOptions()
        configure(&options)
        return try await store.delete(type, namespace: namespace, name: name, options: options)
    }
}

/// The `APIError` `body` throws, or nil if it succeeds or throws something else.
func apiError(_ body: () async throws -> Void) async -> APIError? {
    do {
        try await body()
        return nil
    } catch let e as APIError {
        return e
    } catch {
        return nil
    }
}

enum Fixtures {
    static func configMap(_ name: String, namespace: String = "default", data: [String: String] = ["k": "v"]) -> JSON {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": .string(namespace)], "data": JSON(data)]
    }

    static func pod(_ name: String, namespace: String = "default", image: String = "nginx:1.25", nodeName: String? = nil) -> JSON {
        var pod: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": ["containers": [["name": "main", "image": .string(image)]]],
        ]
        if let nodeName { pod["spec", "nodeName"] = .string(nodeName) }
        return pod
    }

    static func deployment(_ name: String, namespace: String = "default", replicas: Int64 = 1, image: String = "nginx:1.25",
                           selector: [String: String]? = ["app": "web"], labels: [String: String] = ["app": "web"]) -> JSON {
        var d: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "replicas": .int(replicas),
                "template": ["metadata": ["labels": JSON(labels)],
                             "spec": ["containers": [["name": "main", "image": .string(image)]]]],
            ],
        ]
        if let selector { d["spec", "selector"] = ["matchLabels": JSON(selector)] }
        return d
    }
}
