import SkiffClient

/// The scheduling queue as a service: `SchedulingQueue` behind an actor, with a `pop()` that
/// waits for a Pod and moves Pods out of back-off when their time comes.
///
/// Time comes from the injected `TimeSource`, so tests drive back-off with a `ManualClock`.
///
/// ```swift
/// let queue = PodQueue()
/// await queue.add(pod)
/// while let queued = await queue.pop() { ... await queue.done(queued.key) }
/// ```
public actor PodQueue {
    /// How often Pods unschedulable for too long are looked for. Default 30 s.
    public static let leftoverInterval: Duration = .seconds(30)

    var state: SchedulingQueue
    let clock: any TimeSource
    let wakeup = Wakeup()
    var closed = false
    var lastLeftoverFlush: Duration

    public init(configuration: SchedulingQueue.Configuration = .init(), clock: any TimeSource = SystemTimeSource()) {
        state = SchedulingQueue(configuration: configuration)
        self.clock = clock
        lastLeftoverFlush = clock.now()
    }

    public func add(_ pod: PodInfo) {
        state.add(pod, now: clock.now())
        wakeup.signal()
    }

    public func update(_ pod: PodInfo, significant: Bool) {
        state.update(pod, significant: significant, now: clock.now())
        wakeup.signal()
    }

    public func delete(_ key: String) {
        state.delete(key)
    }

    /// Retries the unschedulable Pods `mayHelp` selects (see `SchedulingQueue.moveAll`).
    public func moveAll(mayHelp: @Sendable (Set<String>) -> Bool) {
        if state.moveAll(now: clock.now(), mayHelp: mayHelp) > 0 { wakeup.signal() }
    }

    /// The next Pod to schedule; waits for one. Returns nil once closed or cancelled.
    public func pop() async -> QueuedPod? {
        while true {
            let now = clock.now()
            state.flushBackoffCompleted(now: now)
            if now - lastLeftoverFlush >= Self.leftoverInterval {
                state.flushUnschedulableLeftover(now: now)
                lastLeftoverFlush = now
            }
            if let q = state.pop(now: now) { return q }
            if closed || Task.isCancelled { return nil }
            var deadline = lastLeftoverFlush + Self.leftoverInterval
            if let e = state.nextBackoffExpiry { deadline = min(deadline, e) }
            await wakeup.wait(until: deadline, clock: clock)
        }
    }

    public func done(_ key: String) {
        state.done(key)
    }

    public func requeueUnschedulable(_ q: QueuedPod, plugins: Set<String>) {
        state.requeueUnschedulable(q, plugins: plugins, now: clock.now())
        wakeup.signal()
    }

    public func requeueAfterError(_ q: QueuedPod) {
        state.requeueAfterError(q, now: clock.now())
        wakeup.signal()
    }

    /// Ends `pop()`: it returns nil once no Pod is active.
    public func close() {
        closed = true
        wakeup.signal()
    }

    /// A copy of the queue's state (counts, locations).
    public var snapshot: SchedulingQueue { state }
}
