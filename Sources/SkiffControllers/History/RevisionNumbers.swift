import SkiffModel
import Synchronization

/// The highest revision number a controller gave each owner (by UID), so that a pass whose
/// ControllerRevision cache has not yet seen the previous pass's revision still numbers the
/// next one above it.
final class RevisionNumbers: Sendable {
    let highest = Mutex<[String: Int64]>([:])

    /// One more than the highest of `revisions` and of the numbers given to `owner` before.
    func next(for owner: String, after revisions: [JSON]) -> Int64 {
        let given = highest.withLock { $0[owner] ?? 0 }
        return max(ControllerHistory.nextNumber(revisions), given + 1)
    }

    /// Records that `owner` has a revision numbered `number`.
    func record(_ number: Int64, for owner: String) {
        highest.withLock { h in
            if h.count > 10_000 { h = [:] }
            h[owner] = max(h[owner] ?? 0, number)
        }
    }
}
