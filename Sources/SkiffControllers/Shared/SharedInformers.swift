import Logging
import SkiffClient
import Synchronization

/// One informer per resource, shared by the controllers of one process (client-go's
/// SharedInformerFactory): the namespace informer of the namespace, ServiceAccount and root CA
/// controllers is one list and one watch, with one cache.
///
/// Informers are made on first request and started by `start()`: make them, add their handlers,
/// then call `start()`. (A handler added to a running informer is first told about what its cache
/// holds; see `Informer.addEventHandler`.) `run()` runs every started
/// informer until cancelled, including ones started after it began (the garbage collector
/// starts informers for resources that appear later).
///
/// ```swift
/// let informers = SharedInformers(client: client, logger: logger)
/// informers.informer(for: .namespaces).addEventHandler(.enqueue(into: queue))
/// informers.start()
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { await informers.run() }
///     ...
/// }
/// ```
public final class SharedInformers: Sendable {
    struct State {
        var informers: [Resource: Informer] = [:]
        var started: Set<Resource> = []
    }

    let client: Client
    let logger: Logger
    let state = Mutex(State())
    let newlyStarted: AsyncStream<Informer>
    let continuation: AsyncStream<Informer>.Continuation

    public init(client: Client, logger: Logger) {
        self.client = client
        self.logger = logger
        (newlyStarted, continuation) = AsyncStream<Informer>.makeStream()
    }

    /// The informer of `resource` (all namespaces), made on first request.
    public func informer(for resource: Resource) -> Informer {
        state.withLock { s in
            if let existing = s.informers[resource] { return existing }
            let informer = Informer(client: client, resource: resource, logger: logger)
            s.informers[resource] = informer
            return informer
        }
    }

    /// Whether `resource`'s informer was started (a handler added now misses what it has seen).
    public func isStarted(_ resource: Resource) -> Bool {
        state.withLock { $0.started.contains(resource) }
    }

    /// Starts every informer made and not yet started. Idempotent.
    public func start() {
        let fresh: [Informer] = state.withLock { s in
            let pending = s.informers.filter { !s.started.contains($0.key) }
            s.started.formUnion(pending.keys)
            return Array(pending.values)
        }
        for informer in fresh { continuation.yield(informer) }
    }

    /// Runs the started informers until the task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await informer in newlyStarted {
                group.addTask { try? await informer.run() }
            }
        }
    }
}
