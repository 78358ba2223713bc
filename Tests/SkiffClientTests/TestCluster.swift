import Logging
import NIOHTTP1
import SkiffAPIServer
import SkiffModel
import SkiffStorage
import Synchronization
@testable import SkiffClient

/// A real API server over an in-memory store, in this process, for the length of `body`.
struct TestCluster {
    static let token = "test-admin-token"
    let api: APIServer
    let store: ResourceStore

    static var logger: Logger {
        var l = Logger(label: "skiff-client-test")
        l.logLevel = .error
        return l
    }

    /// `windowCapacity` is the watch cache's event window: small values make old watches 410.
    static func with<T: Sendable>(windowCapacity: Int = 10_000, _ body: @Sendable (TestCluster) async throws -> T) async throws -> T {
        let backend = MemoryBackend()
        let registry = Registry(BuiltinKinds.all)
        let cache = WatchCache(backend: backend, registry: registry, windowCapacity: windowCapacity, logger: logger)
        let store = ResourceStore(backend: backend, cache: cache, registry: registry)
        let admin = UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])
        let api = APIServer(configuration: .init(authenticator: TokenAuthenticator(tokens: [token: admin])),
                            registry: registry, store: store, logger: logger)
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            let loaded = try await cache.load()
            group.addTask { try await cache.follow(from: loaded) }
            try await Bootstrap.ensureNamespaces(store: store, registry: registry)
            api.markReady()
            let cluster = TestCluster(api: api, store: store)
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

    func client(_ transport: TestTransport? = nil) -> Client {
        Client(transport: transport ?? TestTransport(api: api), userAgent: "skiff-client-tests")
    }
}

/// Adapts `APIServer.handle` as a `Transport` (as the executable's `InProcessTransport` does),
/// records every request, and lets a test end open watches or hold new ones back.
final class TestTransport: Transport {
    struct State {
        var requests: [String] = []
        var watches: [Int: (AsyncThrowingStream<[UInt8], any Error>.Continuation, Task<Void, Never>)] = [:]
        var nextWatch = 0
        var gate: Latch?
    }

    let api: APIServer
    let state = Mutex(State())

    init(api: APIServer) {
        self.api = api
    }

    /// Every request's method and path with query, in order.
    var requests: [String] { state.withLock { $0.requests } }

    /// The requests that were watches.
    var watchRequests: [String] { requests.filter { $0.contains("watch=true") } }

    /// The requests that were lists (GET of a collection without `watch`).
    func listRequests(of path: String) -> [String] {
        requests.filter { r in
            guard r.hasPrefix("GET \(path)"), !r.contains("watch=true") else { return false }
            let rest = r.dropFirst(4 + path.count)
            return rest.isEmpty || rest.hasPrefix("?")
        }
    }

    /// Ends every open watch as if the server had closed it normally.
    func dropWatches() {
        let open = state.withLock { s in
            let w = Array(s.watches.values)
            s.watches = [:]
            return w
        }
        for (continuation, pump) in open {
            pump.cancel()
            continuation.finish()
        }
    }

    /// New watches wait until `openGate()`.
    func closeGate() { state.withLock { $0.gate = Latch() } }

    func openGate() {
        let gate = state.withLock { s in
            let g = s.gate
            s.gate = nil
            return g
        }
        gate?.open()
    }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        state.withLock { $0.requests.append("\(request.method) \(request.path)") }
        let response = await api.handle(serverRequest(request))
        guard case .bytes(let bytes) = response.body else {
            return TransportResponse(status: 500)
        }
        return TransportResponse(status: Int(response.status.code), headers: [:], body: bytes)
    }

    func stream(_ request: TransportRequest) async throws -> TransportStream {
        if let gate = state.withLock({ $0.gate }) { try await gate.wait() }
        state.withLock { $0.requests.append("\(request.method) \(request.path)") }
        let response = await api.handle(serverRequest(request))
        let (body, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        switch response.body {
        case .bytes(let bytes):
            continuation.yield(bytes)
            continuation.finish()
            return TransportStream(status: Int(response.status.code), body: body) {}
        case .stream(let chunks):
            let pump = Task {
                for await chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            let id = state.withLock { s in
                s.nextWatch += 1
                s.watches[s.nextWatch] = (continuation, pump)
                return s.nextWatch
            }
            let cancel: @Sendable () -> Void = { [weak self] in
                pump.cancel()
                _ = self?.state.withLock { $0.watches.removeValue(forKey: id) }
            }
            continuation.onTermination = { _ in cancel() }
            return TransportStream(status: Int(response.status.code), body: body, cancel: cancel)
        case .events:  // only asked for by `wantsWatchObjects`
            continuation.finish()
            return TransportStream(status: 500, body: body) {}
        }
    }

    func serverRequest(_ request: TransportRequest) -> Request {
        var headers = HTTPHeaders(request.headers.map { ($0.key, $0.value) })
        headers.add(name: "Authorization", value: "Bearer \(TestCluster.token)")
        return Request(method: HTTPMethod(rawValue: request.method), uri: request.path, headers: headers, body: request.body)
    }
}

/// Collects strings from concurrent code and lets a test await them in order, without sleeping.
final class EventLog: Sendable {
    let stream: AsyncStream<String>
    let continuation: AsyncStream<String>.Continuation

    init() {
        (stream, continuation) = AsyncStream<String>.makeStream()
    }

    func record(_ s: String) { continuation.yield(s) }
}

/// A sequential reader of an `EventLog` (one per test).
struct EventReader {
    var iterator: AsyncStream<String>.AsyncIterator

    init(_ log: EventLog) { iterator = log.stream.makeAsyncIterator() }

    mutating func next() async -> String? { await iterator.next() }

    /// The next `count` entries.
    mutating func next(_ count: Int) async -> [String] {
        var out: [String] = []
        for _ in 0..<count { if let s = await iterator.next() { out.append(s) } }
        return out
    }
}

func configMap(_ name: String, namespace: String = "default", data: [String: String] = [:], labels: [String: String] = [:]) -> JSON {
    var meta: JSON = ["name": .string(name), "namespace": .string(namespace)]
    if !labels.isEmpty { meta["labels"] = JSON(labels) }
    return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": JSON(data)]
}
