import SkiffModel
import Synchronization

/// The objects this server wrote last, by key, with their revisions: a read-modify-write of an
/// object written moments ago (a Pod's binding after its create, its status after that) takes
/// the object from here instead of parsing the stored bytes again. A stored value is the same
/// for the same key and revision, so an entry is either exact or not used. Bounded: the oldest
/// entries are dropped first.
final class RecentWrites: Sendable {
    struct State {
        var objects: [String: (revision: Int64, object: JSON)] = [:]
        /// Keys in the order they were noted, as a ring of `capacity`.
        var order: [String] = []
        var next = 0
    }

    let capacity: Int
    let state = Mutex(State())

    init(capacity: Int = 512) { self.capacity = capacity }

    /// Notes `object` (with its `resourceVersion`) as the value of `key` at `revision`.
    func note(key: String, revision: Int64, object: JSON) {
        state.withLock { s in
            if s.objects.updateValue((revision, object), forKey: key) != nil { return }
            if s.order.count < capacity {
                s.order.append(key)
            } else {
                s.objects[s.order[s.next]] = nil
                s.order[s.next] = key
                s.next = (s.next + 1) % capacity
            }
        }
    }

    /// The object noted for `key` at exactly `revision`.
    func object(key: String, revision: Int64) -> JSON? {
        state.withLock { s in
            guard let entry = s.objects[key], entry.revision == revision else { return nil }
            return entry.object
        }
    }
}
