/// A queue of keys for controllers, with client-go's work-queue guarantees.
///
/// - A key is handed to at most one worker at a time: `get()` marks it processing until `done(_:)`.
/// - Adding a key that is already queued does nothing; adding a key that is being processed marks
///   it dirty, and `done(_:)` queues it again, so a change seen mid-reconcile is never lost.
/// - `addAfter(_:_:)` queues a key once a delay has passed (keeping the earliest time if the key is
///   already waiting); `addRateLimited(_:)` chooses the delay as the larger of a per-key exponential
///   back-off (5 ms doubling to 1000 s) and an overall token bucket (10 qps, burst 100);
///   `forget(_:)` resets the key's back-off.
/// - After `shutDown()`, adds are ignored and `get()` returns the keys still queued, then `nil`.
///
/// Time comes from an injected `TimeSource`, so tests drive delays with a `ManualClock`.
///
/// ```swift
/// let queue = WorkQueue<String>()
/// await queue.add("default/web")
/// while let key = await queue.get() {
///     do { try await reconcile(key); await queue.forget(key) } catch { await queue.addRateLimited(key) }
///     await queue.done(key)
/// }
/// ```
public actor WorkQueue<Key: Hashable & Sendable> {
    /// Back-off and rate limit settings; the defaults are client-go's `DefaultControllerRateLimiter`.
    public struct Configuration: Sendable {
        /// The delay after a key's first failure. Default 5 ms.
        public var baseDelay: Duration = .milliseconds(5)
        /// The cap on a key's back-off. Default 1000 s.
        public var maxDelay: Duration = .seconds(1000)
        /// The overall refill rate of rate-limited adds. Default 10 per second.
        public var qps: Double = 10
        /// The overall burst of rate-limited adds. Default 100.
        public var burst: Int = 100

        public init() {}
    }

    /// Counters with the meaning of client-go's work-queue metrics.
    public struct Metrics: Sendable, Equatable {
        /// Keys queued and ready (`workqueue_depth`).
        public var depth: Int
        /// Keys accepted by `add` (`workqueue_adds_total`).
        public var adds: Int
        /// Keys re-added with a delay (`workqueue_retries_total`).
        public var retries: Int
        /// Keys handed out and not yet done.
        public var processing: Int
        /// Keys waiting for their delay to pass.
        public var waiting: Int
    }

    public nonisolated let name: String
    let clock: any TimeSource
    var queue: [Key] = []
    var head = 0
    var dirty: Set<Key> = []
    var processing: Set<Key> = []
    var delayed = DelayHeap<Key>()
    var backoff: ItemBackoff<Key>
    var bucket: TokenBucket
    var waiters: [Latch] = []
    var shuttingDown = false
    var adds = 0
    var retries = 0

    public init(name: String = "", configuration: Configuration = .init(), clock: any TimeSource = SystemTimeSource()) {
        self.name = name
        self.clock = clock
        self.backoff = ItemBackoff(baseDelay: configuration.baseDelay, maxDelay: configuration.maxDelay)
        self.bucket = TokenBucket(qps: configuration.qps, burst: configuration.burst)
    }

    /// Queues `key` unless it is already queued; if it is being processed it is queued again by
    /// `done(_:)`. Ignored after `shutDown()`.
    public func add(_ key: Key) {
        if shuttingDown || dirty.contains(key) { return }
        adds += 1
        dirty.insert(key)
        if processing.contains(key) { return }
        queue.append(key)
        wakeOne()
    }

    /// The next key, marked processing until `done(_:)`; waits while the queue is empty.
    /// Returns `nil` once the queue is shut down and empty, or if the calling task is cancelled.
    public func get() async -> Key? {
        while true {
            promoteDue()
            if head < queue.count {
                let key = queue[head]
                head += 1
                if head > 1024 && head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                processing.insert(key)
                dirty.remove(key)
                return key
            }
            if shuttingDown || Task.isCancelled { return nil }
            let latch = Latch()
            waiters.append(latch)
            await Self.wait(latch, until: delayed.earliest, clock: clock)
            waiters.removeAll { $0 === latch }
        }
    }

    /// Ends processing of `key`; if it was added meanwhile, it is queued again.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.contains(key) {
            queue.append(key)
            wakeOne()
        }
    }

    /// Stops accepting keys and wakes every waiting `get()`; keys already queued are still handed out.
    public func shutDown() {
        shuttingDown = true
        for w in waiters { w.open() }
        waiters.removeAll()
    }

    public var isShuttingDown: Bool { shuttingDown }

    /// The number of keys ready to be handed out (`workqueue_depth`).
    public var count: Int {
        promoteDue()
        return queue.count - head
    }

    public var metrics: Metrics {
        promoteDue()
        return Metrics(depth: queue.count - head, adds: adds, retries: retries, processing: processing.count, waiting: delayed.count)
    }

    func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().open() }
    }

    func wakeAll() {
        for w in waiters { w.open() }
        waiters.removeAll()
    }

    /// Waits until `latch` opens, `deadline` passes, or the task is cancelled.
    static func wait(_ latch: Latch, until deadline: Duration?, clock: any TimeSource) async {
        guard let deadline else {
            try? await latch.wait()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await latch.wait() }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }
}
