import Synchronization

/// A `TimeSource` that only moves when told to: for tests of anything that waits on time.
///
/// `advance(by:)` wakes, in deadline order, every sleeper whose deadline has been reached.
/// `waitForSleepers(_:)` lets a test wait until the code under test has started waiting, so that
/// no test needs a real sleep.
///
/// ```swift
/// let clock = ManualClock()
/// let queue = WorkQueue<String>(clock: clock)
/// await queue.addAfter("a", .seconds(1))
/// clock.advance(by: .seconds(1))
/// #expect(await queue.get() == "a")
/// ```
public final class ManualClock: TimeSource {
    enum Entry {
        case registering
        case cancelled
        case waiting(Duration, CheckedContinuation<Void, any Error>)
    }

    struct State {
        var now: Duration
        var nextID = 0
        var sleepers: [Int: Entry] = [:]
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        var waitingCount: Int {
            sleepers.values.reduce(0) { n, e in if case .waiting = e { return n + 1 } else { return n } }
        }

        mutating func notifyWatchers() {
            let n = waitingCount
            var still: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
            for w in watchers {
                if n >= w.count { w.continuation.resume() } else { still.append(w) }
            }
            watchers = still
        }
    }

    let state: Mutex<State>

    public init(now: Duration = .zero) {
        state = Mutex(State(now: now))
    }

    public func now() -> Duration { state.withLock { $0.now } }

    /// The number of tasks currently suspended in `sleep(until:)`.
    public var sleeperCount: Int { state.withLock { $0.waitingCount } }

    /// Moves time forward and wakes the sleepers whose deadlines have been reached.
    public func advance(by duration: Duration) {
        let due: [CheckedContinuation<Void, any Error>] = state.withLock { s in
            s.now += duration
            var ready: [(Duration, Int, CheckedContinuation<Void, any Error>)] = []
            for (id, entry) in s.sleepers {
                if case .waiting(let deadline, let c) = entry, deadline <= s.now { ready.append((deadline, id, c)) }
            }
            ready.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            for r in ready { s.sleepers[r.1] = nil }
            s.notifyWatchers()
            return ready.map(\.2)
        }
        for c in due { c.resume() }
    }

    /// Returns once at least `count` tasks are suspended in `sleep(until:)`.
    public func waitForSleepers(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            state.withLock { s in
                if s.waitingCount >= count { c.resume() } else { s.watchers.append((count, c)) }
            }
        }
    }

    public func sleep(until deadline: Duration) async throws {
        try Task.checkCancellation()
        let id: Int? = state.withLock { s in
            if deadline <= s.now { return nil }
            let id = s.nextID
            s.nextID += 1
            s.sleepers[id] = .registering
            return id
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = state.withLock { s in
                    if case .cancelled = s.sleepers[id] {
                        s.sleepers[id] = nil
                        return .failure(CancellationError())
                    }
                    if deadline <= s.now {
                        s.sleepers[id] = nil
                        return .success(())
                    }
                    s.sleepers[id] = .waiting(deadline, c)
                    s.notifyWatchers()
                    return nil
                }
                if let resume { c.resume(with: resume) }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, any Error>? = state.withLock { s in
                switch s.sleepers[id] {
                case .registering:
                    s.sleepers[id] = .cancelled
                    return nil
                case .waiting(_, let c):
                    s.sleepers[id] = nil
                    return c
                default:
                    return nil
                }
            }
            c?.resume(throwing: CancellationError())
        }
    }
}
