import SkiffModel
import Synchronization

/// Per object, the resourceVersions this controller's own status writes replaced. A cached
/// object at one of them is older than the controller's last write: its counts are stale, and
/// acting on them would, for example, start a Pod for a completion already counted. The
/// write's own watch event queues the object again, so such a pass can simply be skipped.
/// Versions are compared for equality only, never ordered.
final class ReplacedVersions: Sendable {
    let versions = Mutex<[String: Set<String>]>([:])

    /// Whether `object` (cached under `key`) is at least as new as the last write noted.
    func isCurrent(_ object: JSON, key: String) -> Bool {
        versions.withLock { versions in
            guard let replaced = versions[key] else { return true }
            if replaced.contains(object["metadata", "resourceVersion"]?.string ?? "") { return false }
            versions[key] = nil  // the cache has caught up
            return true
        }
    }

    /// A write based on `object` succeeded: its version is now replaced.
    func noteWrite(basedOn object: JSON, key: String) {
        guard let version = object["metadata", "resourceVersion"]?.string else { return }
        versions.withLock { _ = $0[key, default: []].insert(version) }
    }

    func forget(_ key: String) {
        versions.withLock { $0[key] = nil }
    }
}
