import Synchronization

/// A one-way gate: closed until `open()`, then open for good. Any number of tasks may wait on it.
///
/// Used for "has synced" signals and to wake a waiting work-queue consumer.
final class Latch: Sendable {
    struct State {
        var isOpen = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var cancelled: Set<Int> = []
    }

    let state = Mutex(State())

    init() {}

    var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Opens the gate and resumes every waiter. Idempotent.
    func open() {
        let waiters: [CheckedContinuation<Void, any Error>] = state.withLock { s in
            if s.isOpen { return [] }
            s.isOpen = true
            let w = Array(s.waiters.values)
            s.waiters = [:]
            return w
        }
        for w in waiters { w.resume() }
    }

    /// Returns once the gate is open. Throws `CancellationError` if the task is cancelled first.
    func wait() async throws {
        let id: Int? = state.withLock { s in
            if s.isOpen { return nil }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let result: Result<Void, any Error>? = state.withLock { s in
                    if s.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if s.isOpen { return .success(()) }
                    s.waiters[id] = c
                    return nil
                }
                if let result { c.resume(with: result) }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, any Error>? = state.withLock { s in
                if let c = s.waiters.removeValue(forKey: id) { return c }
                if !s.isOpen { s.cancelled.insert(id) }
                return nil
            }
            c?.resume(throwing: CancellationError())
        }
    }
}
