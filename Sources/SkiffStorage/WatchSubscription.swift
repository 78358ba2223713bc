import Synchronization

/// One page of history read for a watch replay.
struct ReplayPage: Sendable {
    /// Changes in the range with revisions in (after, snapshot], in revision order.
    var events: [WatchEvent]
    /// The store revision the replay reads up to (fixed by the first page).
    var snapshot: Int64
    /// True when no more history follows the last event up to `snapshot`.
    var complete: Bool
}

/// Reads history for a replay: changes in `range` after `after`, up to `through` (nil on the
/// first page: the backend picks its current revision). Throws `.compacted` when `after` is
/// older than the compacted revision.
typealias ReplaySource = @Sendable (_ range: KeyRange, _ after: Int64, _ through: Int64?) async throws -> ReplayPage

/// Drives one watch stream: replays history page by page, then hands out live events from the
/// watcher's buffer. Live events committed during the replay wait in that buffer; the floor
/// raised after the replay drops the ones the replay already covered.
///
/// Released together with its stream; releasing it unregisters the watcher.
final class WatchSubscription: Sendable {
    private enum Phase {
        case replaying(after: Int64, through: Int64?)
        case live
        case ended
    }

    private let hub: WatchHub
    private let watcher: Watcher
    private let replay: ReplaySource
    private let phase: Mutex<Phase>

    init(hub: WatchHub, watcher: Watcher, after: Int64, replay: @escaping ReplaySource) {
        self.hub = hub
        self.watcher = watcher
        self.replay = replay
        phase = Mutex(.replaying(after: after, through: nil))
    }

    deinit { hub.remove(watcher) }

    /// The next batch of events; nil once the watch ended or the consumer was cancelled.
    func next() async throws -> [WatchEvent]? {
        while true {
            if Task.isCancelled { return end() }
            switch phase.withLock({ $0 }) {
            case .ended:
                return nil
            case .live:
                do {
                    if let batch = try await watcher.next() { return batch }
                    return end()
                } catch {
                    _ = end()
                    throw error
                }
            case .replaying(let after, let through):
                if watcher.isEnded { return end() }
                let page: ReplayPage
                do {
                    page = try await replay(watcher.range, after, through)
                } catch {
                    _ = end()
                    throw error
                }
                if page.complete {
                    watcher.raiseFloor(to: max(after, page.snapshot))
                    phase.withLock { $0 = .live }
                } else {
                    let last = page.events.last?.revision ?? page.snapshot
                    phase.withLock { $0 = .replaying(after: last, through: page.snapshot) }
                }
                if !page.events.isEmpty { return page.events }
            }
        }
    }

    private func end() -> [WatchEvent]? {
        phase.withLock { $0 = .ended }
        watcher.finish(.finished)
        hub.remove(watcher)
        return nil
    }
}
