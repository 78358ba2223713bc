import Synchronization

/// Tasks waiting for the watch cache to reach a revision. A waiter whose task is cancelled
/// returns at once, so a request never outlives a cache that stopped following the backend
/// (at shutdown, the cache's task and in-process clients are cancelled together).
///
/// `register` runs on the cache's actor, so no revision applied after the check is missed;
/// `wait` then suspends until that revision is reached or the task is cancelled.
final class RevisionWaiters: Sendable {
    struct Entry {
        var revision: Int64
        var continuation: CheckedContinuation<Void, Never>?
        /// Reached (or cancelled) before `wait` suspended.
        var done = false
    }

    struct State {
        var nextID = 0
        var entries: [Int: Entry] = [:]
    }

    let state = Mutex(State())

    var isEmpty: Bool { state.withLock { $0.entries.isEmpty } }

    func register(_ revision: Int64) -> Int {
        state.withLock { s in
            s.nextID += 1
            s.entries[s.nextID] = Entry(revision: revision)
            return s.nextID
        }
    }

    /// Suspends until `resume(upTo:)` reaches the registered revision or the task is cancelled.
    func wait(_ id: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s in
                    guard let entry = s.entries[id], !entry.done else {
                        s.entries[id] = nil
                        return true
                    }
                    s.entries[id]?.continuation = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            finish(id)
        }
    }

    /// Resumes every waiter for a revision at or below `revision`.
    func resume(upTo revision: Int64) {
        let due = state.withLock { s in s.entries.filter { $0.value.revision <= revision }.map(\.key) }
        for id in due { finish(id) }
    }

    func finish(_ id: Int) {
        let continuation: CheckedContinuation<Void, Never>? = state.withLock { s in
            guard let entry = s.entries[id] else { return nil }
            if let c = entry.continuation {
                s.entries[id] = nil
                return c
            }
            s.entries[id]?.done = true
            return nil
        }
        continuation?.resume()
    }
}
