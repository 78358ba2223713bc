import Logging

/// Runs a level-triggered controller: waits until its informers have synced, then runs workers
/// that take keys from the queue and reconcile them (client-go's controller `Run` loop).
///
/// - Each key is reconciled by one worker at a time (the `WorkQueue` guarantees it).
/// - A key whose reconcile succeeds is forgotten (its back-off resets); one whose reconcile throws
///   is re-added with rate limiting. Either way `done` is called, so a change seen during the
///   reconcile queues the key again.
/// - `run()` returns when its task is cancelled: it shuts the queue down and waits for the
///   workers to finish their current keys.
///
/// ```swift
/// let runner = ControllerRunner(name: "replicaset", informers: [pods, replicaSets], queue: queue, workers: 5,
///                               logger: logger) { key in try await controller.sync(key) }
/// try await runner.run()
/// ```
public struct ControllerRunner: Sendable {
    public var name: String
    public var informers: [Informer]
    public var queue: WorkQueue<String>
    public var workers: Int
    public var logger: Logger
    public var reconcile: @Sendable (String) async throws -> Void

    public init(name: String, informers: [Informer], queue: WorkQueue<String>, workers: Int = 1, logger: Logger,
                reconcile: @escaping @Sendable (String) async throws -> Void) {
        precondition(workers > 0, "a controller needs at least one worker")
        self.name = name
        self.informers = informers
        self.queue = queue
        self.workers = workers
        var logger = logger
        logger[metadataKey: "controller"] = "\(name)"
        self.logger = logger
        self.reconcile = reconcile
    }

    /// Waits for the informers to sync, then processes keys until cancelled.
    public func run() async throws {
        logger.info("waiting for caches to sync")
        do {
            for informer in informers { try await informer.waitForSync() }
        } catch {
            await queue.shutDown()
            return
        }
        logger.info("caches synced; starting workers", metadata: ["workers": "\(workers)"])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { await worker() }
            }
            await group.waitForAll()
        }
        await queue.shutDown()
        logger.info("workers stopped")
    }

    /// Takes keys until the queue shuts down or the task is cancelled.
    func worker() async {
        while !Task.isCancelled, let key = await queue.get() {
            do {
                try await reconcile(key)
                await queue.forget(key)
            } catch {
                if Task.isCancelled {
                    await queue.done(key)
                    return
                }
                let retries = await queue.numRequeues(key)
                logger.debug("reconcile failed; requeued", metadata: ["key": "\(key)", "error": "\(error)", "retries": "\(retries)"])
                await queue.addRateLimited(key)
            }
            await queue.done(key)
        }
    }
}
