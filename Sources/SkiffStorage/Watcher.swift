import Synchronization

/// The live-event buffer of one watch.
///
/// The writer `offer`s committed events without ever blocking; the consumer takes everything
/// buffered as one batch with `next()`. Events at or below the floor (already replayed or
/// delivered) are dropped at delivery, so replay and live events never overlap.
final class Watcher: Sendable {
    enum Ending: Equatable, Sendable {
        case finished
        case failed(StorageError)
    }

    let id: UInt64
    let range: KeyRange
    private let bufferLimit: Int
    private let state: Mutex<State>

    private struct State {
        var pending: [WatchEvent] = []
        var floor: Int64
        var waiter: CheckedContinuation<Void, Never>?
        var ending: Ending?
        var cancelled = false
    }

    private enum Step {
        case deliver([WatchEvent])
        case end
        case fail(StorageError)
        case wait
    }

    /// A watcher for keys in `range` that only delivers revisions greater than `floor`; more
    /// than `bufferLimit` undelivered events end it with an error.
    init(id: UInt64, range: KeyRange, floor: Int64, bufferLimit: Int) {
        self.id = id
        self.range = range
        self.bufferLimit = bufferLimit
        state = Mutex(State(floor: floor))
    }

    /// Buffers the events in this watcher's range. Returns false when the buffer overflowed:
    /// the watcher is then ended with an error and must be unregistered.
    func offer(_ events: [WatchEvent]) -> Bool {
        let matching = events.filter { range.contains($0.kv.key) }
        guard !matching.isEmpty else { return true }
        let (waiter, accepted): (CheckedContinuation<Void, Never>?, Bool) = state.withLock { state in
            guard state.ending == nil else { return (nil, true) }
            state.pending.append(contentsOf: matching)
            var accepted = true
            if state.pending.count > bufferLimit {
                state.pending = []
                state.ending = .failed(.backend("watch fell behind: more than \(bufferLimit) undelivered events"))
                accepted = false
            }
            defer { state.waiter = nil }
            return (state.waiter, accepted)
        }
        waiter?.resume()
        return accepted
    }

    /// Ends the watch once the buffered events are delivered (or at once, for a failure).
    func finish(_ ending: Ending) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard state.ending == nil else { return nil }
            if case .failed = ending { state.pending = [] }
            state.ending = ending
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// True once the watch was ended (by `finish`, an overflow or cancellation).
    var isEnded: Bool { state.withLock { $0.ending != nil || $0.cancelled } }

    /// Raises the floor: later deliveries skip revisions at or below `revision`.
    func raiseFloor(to revision: Int64) {
        state.withLock { $0.floor = max($0.floor, revision) }
    }

    /// The next batch of live events in revision order; nil when the watch ended or the
    /// calling task was cancelled.
    func next() async throws -> [WatchEvent]? {
        while true {
            let step: Step = state.withLock { state in
                if state.cancelled {
                    state.pending = []
                    state.ending = .finished
                    return .end
                }
                let floor = state.floor
                let batch = state.pending.filter { $0.revision > floor }
                state.pending = []
                if let last = batch.last {
                    state.floor = last.revision
                    return .deliver(batch)
                }
                switch state.ending {
                case .finished?: return .end
                case .failed(let error)?:
                    state.ending = .finished
                    return .fail(error)
                case nil: return .wait
                }
            }
            switch step {
            case .deliver(let batch): return batch
            case .end: return nil
            case .fail(let error): throw error
            case .wait: await waitForChange()
            }
        }
    }

    private func waitForChange() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.cancelled || !state.pending.isEmpty || state.ending != nil { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
