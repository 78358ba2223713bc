import SkiffClient
import Synchronization

/// What a controller still expects its informer to report after its own creates and deletes
/// (kube-controller-manager's `UIDTrackingControllerExpectations`), so that it never acts twice
/// on a cache that has not caught up with its previous actions.
///
/// A controller records `expectCreations` / `expectDeletions` before it writes; the informer's
/// handlers call `creationObserved` / `deletionObserved` as the events arrive, and the controller
/// only manages replicas when `satisfied(_:)`. Deletions are tracked by object key, so a deletion
/// seen twice (a `deletionTimestamp` update, then the delete itself) is counted once. Expectations
/// older than `timeout` count as satisfied, so a lost event delays a controller but never wedges it.
///
/// Thread-safe: handlers and workers call it concurrently.
final class ControllerExpectations: Sendable {
    struct Record {
        var adds: Int
        var deleteKeys: Set<String>
        var setAt: Duration

        var fulfilled: Bool { adds <= 0 && deleteKeys.isEmpty }
    }

    let records = Mutex<[String: Record]>([:])
    let clock: any TimeSource
    let timeout: Duration

    init(clock: any TimeSource, timeout: Duration = .seconds(300)) {
        self.clock = clock
        self.timeout = timeout
    }

    /// Whether the controller of `key` may act: nothing pending, everything observed, or expired.
    func satisfied(_ key: String) -> Bool {
        let now = clock.now()
        return records.withLock { r in
            guard let record = r[key] else { return true }
            return record.fulfilled || now - record.setAt > timeout
        }
    }

    /// Expects `count` creations for `key`, replacing what was expected before.
    func expectCreations(_ key: String, _ count: Int) {
        let now = clock.now()
        records.withLock { $0[key] = Record(adds: count, deleteKeys: [], setAt: now) }
    }

    /// Expects the objects at `objectKeys` to be deleted, replacing what was expected before.
    func expectDeletions(_ key: String, _ objectKeys: [String]) {
        let now = clock.now()
        records.withLock { $0[key] = Record(adds: 0, deleteKeys: Set(objectKeys), setAt: now) }
    }

    /// One expected creation was seen (or will never happen).
    func creationObserved(_ key: String) {
        records.withLock { r in r[key]?.adds -= 1 }
    }

    /// The deletion of `objectKey` was seen (or will never happen); counted once per object.
    func deletionObserved(_ key: String, _ objectKey: String) {
        records.withLock { r in _ = r[key]?.deleteKeys.remove(objectKey) }
    }

    /// Forgets `key` (its controller object is gone).
    func delete(_ key: String) {
        records.withLock { _ = $0.removeValue(forKey: key) }
    }

    /// Pending creations and deletions of `key`, for logs and tests.
    func pending(_ key: String) -> (adds: Int, deletes: Int)? {
        records.withLock { r in r[key].map { ($0.adds, $0.deleteKeys.count) } }
    }
}
