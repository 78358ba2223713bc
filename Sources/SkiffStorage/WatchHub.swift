import Synchronization

/// Fans committed events out to the registered watchers of one backend.
///
/// `broadcast` must be called with each commit's events in revision order, by one caller at a
/// time (the SQLite writer thread, or `MemoryBackend` under its lock). It never blocks on
/// consumers: events wait in each watcher's buffer.
final class WatchHub: Sendable {
    private struct State {
        var watchers: [UInt64: Watcher] = [:]
        var nextID: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let bufferLimit: Int

    /// A hub whose watchers end with an error once more than `bufferLimit` events wait for them.
    init(bufferLimit: Int) {
        self.bufferLimit = bufferLimit
    }

    /// How many watches are registered.
    var count: Int { state.withLock { $0.watchers.count } }

    /// A stream of the changes under `prefix` after `after`: first the history `replay` reads,
    /// then live events. The watcher is registered before the stream is returned, so nothing
    /// committed from now on is missed; it is unregistered when the stream ends, its consumer
    /// is cancelled, or the stream is released.
    func stream(prefix: String, after: Int64, replay: @escaping ReplaySource) -> AsyncThrowingStream<[WatchEvent], any Error> {
        let range = KeyRange(prefix: prefix)
        let watcher: Watcher? = state.withLock { state in
            guard !state.closed else { return nil }
            state.nextID += 1
            let watcher = Watcher(id: state.nextID, range: range, floor: after, bufferLimit: bufferLimit)
            state.watchers[watcher.id] = watcher
            return watcher
        }
        guard let watcher else {
            return AsyncThrowingStream { $0.finish(throwing: StorageError.backend("storage is closed")) }
        }
        let subscription = WatchSubscription(hub: self, watcher: watcher, after: after, replay: replay)
        return AsyncThrowingStream(unfolding: { try await subscription.next() })
    }

    /// Unregisters `watcher` (idempotent).
    func remove(_ watcher: Watcher) {
        _ = state.withLock { $0.watchers.removeValue(forKey: watcher.id) }
    }

    /// Hands one commit's events (in revision order) to every watcher.
    func broadcast(_ events: [WatchEvent]) {
        guard !events.isEmpty else { return }
        state.withLock { state in
            for (id, watcher) in state.watchers where !watcher.offer(events) {
                state.watchers[id] = nil
            }
        }
    }

    /// Ends every watch (after delivering what is buffered) and refuses new ones.
    func close() {
        let watchers = state.withLock { state in
            state.closed = true
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.finish(.finished) }
    }
}
