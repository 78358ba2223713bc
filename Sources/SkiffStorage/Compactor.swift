/// Compacts a backend's history periodically so the store does not grow without bound under
/// churn, while keeping enough history for watches to resume.
///
/// Every `interval` it samples the backend's current revision; it then compacts to the newest
/// sampled revision that is at least `retention` old, but never closer than
/// `minimumRevisions` to the current revision. So both the last `retention` of time and the
/// last `minimumRevisions` revisions stay available to `watch` and `list(revision:)`.
/// Samples live in memory: after a restart the first compaction waits one `retention`.
public actor Compactor<C: Clock> where C.Duration == Duration {
    public struct Policy: Sendable {
        /// History younger than this is kept.
        public var retention: Duration
        /// At least this many of the latest revisions are kept.
        public var minimumRevisions: Int64
        /// Time between two rounds.
        public var interval: Duration

        public init(retention: Duration = .seconds(300), minimumRevisions: Int64 = 1_000, interval: Duration = .seconds(60)) {
            self.retention = retention
            self.minimumRevisions = minimumRevisions
            self.interval = interval
        }
    }

    /// What a round did, for logging and metrics.
    public enum Event: Sendable {
        case compacted(revision: Int64)
        case failed(any Error)
    }

    private let backend: any StorageBackend
    private let policy: Policy
    private let clock: C
    private let onEvent: @Sendable (Event) -> Void
    /// (time, current revision) per round, oldest first; older than needed ones are dropped.
    private var samples: [(instant: C.Instant, revision: Int64)] = []

    /// A compactor for `backend` timed by `clock`; `onEvent` hears about every compaction and
    /// failure (a failed round does not stop `run`).
    public init(backend: any StorageBackend, policy: Policy = Policy(), clock: C, onEvent: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.backend = backend
        self.policy = policy
        self.clock = clock
        self.onEvent = onEvent
    }

    /// Runs a round now and then every `interval` until the task is cancelled (it then throws
    /// `CancellationError`).
    public func run() async throws {
        while true {
            do {
                try await round()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                onEvent(.failed(error))
            }
            try await clock.sleep(for: policy.interval)
        }
    }

    /// One round: samples the current revision and compacts if the policy allows a revision
    /// newer than the compacted one. Returns the revision compacted to, or nil.
    @discardableResult
    public func round() async throws -> Int64? {
        let now = clock.now
        let current = try await backend.currentRevision()
        samples.append((now, current))
        guard let oldEnough = samples.lastIndex(where: { $0.instant.duration(to: now) >= policy.retention }) else {
            return nil
        }
        samples.removeFirst(oldEnough)
        let target = min(samples[0].revision, current - policy.minimumRevisions)
        guard target > 0, try await target > backend.compactedRevision() else { return nil }
        try await backend.compact(revision: target)
        onEvent(.compacted(revision: target))
        return target
    }
}

extension Compactor where C == ContinuousClock {
    /// A compactor timed by the continuous clock.
    public init(backend: any StorageBackend, policy: Policy = Policy(), onEvent: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.init(backend: backend, policy: policy, clock: ContinuousClock(), onEvent: onEvent)
    }
}
