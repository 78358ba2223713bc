import Synchronization

/// What the controller test fixtures share for waiting: a test waits until a predicate over the
/// informers' caches holds, re-checked each time the fixture calls `changed()` (after every
/// informer event), never by sleeping.
final class ChangeWaiter: Sendable {
    private let listeners = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
    private let nextListener = Atomic<Int>(0)
    let defaultTimeout: Duration

    init(defaultTimeout: Duration = .seconds(20)) {
        self.defaultTimeout = defaultTimeout
    }

    /// Wakes every waiter to check its predicate again.
    func changed() {
        for continuation in listeners.withLock({ Array($0.values) }) { continuation.yield() }
    }

    /// Returns once `predicate` holds; throws `TimedOut` after `timeout` (default `defaultTimeout`).
    func waitUntil(_ what: String, timeout: Duration? = nil, _ predicate: @escaping @Sendable () -> Bool) async throws {
        let timeout = timeout ?? defaultTimeout
        let id = nextListener.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        listeners.withLock { $0[id] = continuation }
        defer { _ = listeners.withLock { $0.removeValue(forKey: id) } }
        let met = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                if predicate() { return true }
                for await _ in stream where predicate() { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: timeout)  // a deadline for a failing test, not a synchronisation
                return false
            }
            let result = try await group.next() ?? false
            group.cancelAll()
            continuation.finish()
            return result
        }
        if !met { throw TimedOut(message: "not within \(timeout): \(what)") }
    }
}

/// Runs `services` (informers, controllers, event recorders) as child tasks while `body` runs,
/// then cancels them and waits for them to end.
func whileRunning<T: Sendable>(_ services: [@Sendable () async throws -> Void], _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for service in services { group.addTask { try await service() } }
        defer { group.cancelAll() }
        return try await body()
    }
}
