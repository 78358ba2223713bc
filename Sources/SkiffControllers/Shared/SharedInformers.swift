import Logging
import SkiffClient
import SkiffModel
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
    /// What makes two requests share one informer.
    struct Key: Hashable {
        var resource: Resource
        var fieldSelector: FieldSelector?
        var metadataOnly: Bool
    }

    struct State {
        var informers: [Key: Informer] = [:]
        var started: Set<Key> = []
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

    /// The informer of `resource` in all namespaces, made on first request; one per field
    /// selector. `metadataOnly`: the caller reads only metadata, so the full informer serves it if
    /// one was made already, and otherwise one that keeps only metadata
    /// (`Informer.Configuration.metadataOnly`).
    public func informer(for resource: Resource, fieldSelector: FieldSelector? = nil, metadataOnly: Bool = false) -> Informer {
        let key = Key(resource: resource, fieldSelector: fieldSelector, metadataOnly: metadataOnly)
        return state.withLock { s in
            if let existing = s.informers[key] { return existing }
            if metadataOnly, let full = s.informers[Key(resource: resource, fieldSelector: fieldSelector, metadataOnly: false)] {
                return full
            }
            var configuration = Informer.Configuration(resource: resource, fieldSelector: fieldSelector)
            configuration.metadataOnly = metadataOnly
            let informer = Informer(client: client, configuration: configuration, logger: logger)
            s.informers[key] = informer
            return informer
        }
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
