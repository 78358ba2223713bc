/// A Pod waiting in the scheduling queue, with its attempt count and the plugins that last
/// rejected it (`framework.QueuedPodInfo`).
public struct QueuedPod: Sendable {
    public var pod: PodInfo
    /// Scheduling attempts made so far.
    public var attempts: Int
    /// When the Pod last entered the queue: orders Pods of equal priority, and back-off counts
    /// from it.
    public var timestamp: Duration
    /// When the Pod was first popped.
    public var initialAttempt: Duration?
    /// The plugins that rejected the Pod in its last attempt.
    public var unschedulablePlugins: Set<String>
    var sequence: Int

    public var key: String { pod.key }
}

/// kube-scheduler's `PriorityQueue` as a pure state machine: time comes in as arguments, so it
/// is tested without clocks or tasks (`PodQueue` runs it).
///
/// - **active**: ready to schedule, highest priority first, then oldest.
/// - **back-off**: failed recently; waits `initialBackoff * 2^(attempts-1)` (capped at
///   `maxBackoff`) from when it was requeued, then moves to active.
/// - **unschedulable**: rejected by plugins; moved back (to back-off, or to active if its back-off
///   has passed) by `moveAll` when a cluster event one of those plugins cares about happens, by
///   a significant update of the Pod, or after `maxUnschedulableDuration`.
/// - **in flight**: popped and being scheduled. An event seen meanwhile sends the Pod to
///   back-off rather than unschedulable when it fails, so that no change is missed.
///
/// A Pod is in at most one of these places.
public struct SchedulingQueue: Sendable {
    public struct Configuration: Sendable {
        /// Default 1 s.
        public var initialBackoff: Duration = .seconds(1)
        /// Default 10 s.
        public var maxBackoff: Duration = .seconds(10)
        /// How long a Pod may stay unschedulable without a retry. Default 5 minutes.
        public var maxUnschedulableDuration: Duration = .seconds(300)

        public init() {}
    }

    struct InFlight: Sendable {
        var moveRequested = false
        var deleted = false
        /// A newer version of the Pod seen while it was being scheduled.
        var latest: PodInfo?
        var significantUpdate = false
    }

    public let configuration: Configuration
    var active: KeyedHeap<QueuedPod>
    var backoff: KeyedHeap<QueuedPod>
    var unschedulable: [String: QueuedPod] = [:]
    var inFlight: [String: InFlight] = [:]
    var sequence = 0

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        active = KeyedHeap { a, b in
            a.pod.priority != b.pod.priority ? a.pod.priority > b.pod.priority
                : (a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.sequence < b.sequence)
        }
        let c = configuration
        backoff = KeyedHeap { a, b in
            let (ea, eb) = (Self.expiry(a, c), Self.expiry(b, c))
            return ea != eb ? ea < eb : a.sequence < b.sequence
        }
    }

    // MARK: counts

    public var activeCount: Int { active.count }
    public var backoffCount: Int { backoff.count }
    public var unschedulableCount: Int { unschedulable.count }
    public var inFlightCount: Int { inFlight.count }

    /// Where a Pod is: `active`, `backoff`, `unschedulable`, `inFlight`, or nil.
    public func location(of key: String) -> String? {
        if active.contains(key) { return "active" }
        if backoff.contains(key) { return "backoff" }
        if unschedulable[key] != nil { return "unschedulable" }
        if inFlight[key] != nil { return "inFlight" }
        return nil
    }

    // MARK: back-off

    /// `initialBackoff * 2^(attempts-1)`, at most `maxBackoff`.
    public func backoffDuration(attempts: Int) -> Duration { Self.duration(attempts, configuration) }

    static func duration(_ attempts: Int, _ c: Configuration) -> Duration {
        var d = c.initialBackoff
        var i = 1
        while i < attempts {
            if d > c.maxBackoff - d { return c.maxBackoff }
            d += d
            i += 1
        }
        return min(d, c.maxBackoff)
    }

    static func expiry(_ p: QueuedPod, _ c: Configuration) -> Duration { p.timestamp + duration(p.attempts, c) }

    /// When the earliest Pod in back-off is due.
    public var nextBackoffExpiry: Duration? { backoff.first.map { Self.expiry($0, configuration) } }

    // MARK: changes of Pods

    /// A new pending Pod: queued as active (an already known Pod is updated instead).
    public mutating func add(_ pod: PodInfo, now: Duration) {
        if inFlight[pod.key] != nil || active.contains(pod.key) || backoff.contains(pod.key) || unschedulable[pod.key] != nil {
            update(pod, significant: true, now: now)
            return
        }
        sequence += 1
        active.push(pod.key, QueuedPod(pod: pod, attempts: 0, timestamp: now, initialAttempt: nil, unschedulablePlugins: [],
                                       sequence: sequence))
    }

    /// A newer version of a pending Pod. `significant` when more than its status changed: an
    /// unschedulable Pod is then retried (after its back-off).
    public mutating func update(_ pod: PodInfo, significant: Bool, now: Duration) {
        let key = pod.key
        if var f = inFlight[key] {
            f.latest = pod
            f.significantUpdate = f.significantUpdate || significant
            inFlight[key] = f
        } else if var q = active.get(key) {
            q.pod = pod
            active.push(key, q)
        } else if var q = backoff.get(key) {
            q.pod = pod
            backoff.push(key, q)
        } else if var q = unschedulable[key] {
            q.pod = pod
            if significant {
                unschedulable[key] = nil
                moveToActiveOrBackoff(q, now: now)
            } else {
                unschedulable[key] = q
            }
        } else {
            add(pod, now: now)
        }
    }

    /// The Pod was deleted, or bound elsewhere: it leaves the queue.
    public mutating func delete(_ key: String) {
        active.remove(key)
        backoff.remove(key)
        unschedulable[key] = nil
        inFlight[key]?.deleted = true
    }

    // MARK: the scheduling loop

    /// The next active Pod, now in flight; nil when none is active.
    public mutating func pop(now: Duration) -> QueuedPod? {
        guard var q = active.pop() else { return nil }
        q.attempts += 1
        if q.initialAttempt == nil { q.initialAttempt = now }
        inFlight[q.key] = InFlight()
        return q
    }

    /// The Pod was scheduled (assumed onto a node): it leaves the queue.
    public mutating func done(_ key: String) {
        inFlight[key] = nil
    }

    /// The Pod fit no node; `plugins` rejected it. It waits as unschedulable, or in back-off if
    /// the cluster or the Pod changed while it was being scheduled.
    public mutating func requeueUnschedulable(_ q: QueuedPod, plugins: Set<String>, now: Duration) {
        guard let f = inFlight.removeValue(forKey: q.key), !f.deleted else { return }
        var q = q
        q.unschedulablePlugins = plugins
        q.timestamp = now
        if let latest = f.latest { q.pod = latest }
        if f.moveRequested || f.significantUpdate {
            sequence += 1
            q.sequence = sequence
            backoff.push(q.key, q)
        } else {
            unschedulable[q.key] = q
        }
    }

    /// Scheduling or binding failed for a reason other than the plugins (an API error): the
    /// Pod is retried after its back-off.
    public mutating func requeueAfterError(_ q: QueuedPod, now: Duration) {
        let f = inFlight.removeValue(forKey: q.key)
        if f?.deleted == true { return }
        if active.contains(q.key) || backoff.contains(q.key) || unschedulable[q.key] != nil { return }
        var q = q
        q.unschedulablePlugins = []
        q.timestamp = now
        if let latest = f?.latest { q.pod = latest }
        sequence += 1
        q.sequence = sequence
        backoff.push(q.key, q)
    }

    // MARK: cluster events and time

    /// A cluster change: unschedulable Pods that `mayHelp` (given the plugins that rejected them)
    /// are retried; Pods in flight will go to back-off if they fail. Returns how many moved.
    @discardableResult
    public mutating func moveAll(now: Duration, mayHelp: (Set<String>) -> Bool) -> Int {
        for key in inFlight.keys { inFlight[key]?.moveRequested = true }
        var moved = 0
        for (key, q) in unschedulable where mayHelp(q.unschedulablePlugins) {
            unschedulable[key] = nil
            moveToActiveOrBackoff(q, now: now)
            moved += 1
        }
        return moved
    }

    /// Moves Pods whose back-off has passed to active. Returns how many.
    @discardableResult
    public mutating func flushBackoffCompleted(now: Duration) -> Int {
        var moved = 0
        while let q = backoff.first, Self.expiry(q, configuration) <= now {
            backoff.remove(q.key)
            active.push(q.key, q)
            moved += 1
        }
        return moved
    }

    /// Retries Pods unschedulable for longer than `maxUnschedulableDuration`. Returns how many.
    @discardableResult
    public mutating func flushUnschedulableLeftover(now: Duration) -> Int {
        var moved = 0
        for (key, q) in unschedulable where now - q.timestamp > configuration.maxUnschedulableDuration {
            unschedulable[key] = nil
            moveToActiveOrBackoff(q, now: now)
            moved += 1
        }
        return moved
    }

    mutating func moveToActiveOrBackoff(_ q: QueuedPod, now: Duration) {
        var q = q
        sequence += 1
        q.sequence = sequence
        if Self.expiry(q, configuration) > now {
            backoff.push(q.key, q)
        } else {
            active.push(q.key, q)
        }
    }
}
