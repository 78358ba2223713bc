import SkiffClient
import SkiffModel
import Synchronization

/// The owner-dependent graph of every monitored object, by UID (the garbage collector's
/// GraphBuilder state). Dependents are indexed by owner UID whether or not the owner itself has
/// been seen, so the dependents of an owner that was never observed are found too.
final class OwnerGraph: Sendable {
    struct State {
        var nodes: [String: Node] = [:]
        var dependents: [String: Set<String>] = [:]
        /// UIDs of owners seen deleted, most recent last (client-go's absentOwnerCache).
        var absent: Set<String> = []
        var absentOrder: [String] = []
    }

    let absentCapacity: Int
    let state = Mutex(State())

    init(absentCapacity: Int = 500) {
        self.absentCapacity = absentCapacity
    }

    func node(_ uid: String) -> Node? { state.withLock { $0.nodes[uid] } }

    /// The nodes that name `uid` as an owner.
    func dependents(of uid: String) -> [Node] {
        state.withLock { s in (s.dependents[uid] ?? []).sorted().compactMap { s.nodes[$0] } }
    }

    func hasDependents(_ uid: String) -> Bool { state.withLock { !($0.dependents[uid] ?? []).isEmpty } }

    var count: Int { state.withLock { $0.nodes.count } }

    /// Stores `node` and returns what it replaced.
    @discardableResult
    func upsert(_ node: Node) -> Node? {
        state.withLock { s in
            let old = s.nodes.updateValue(node, forKey: node.uid)
            for owner in old?.owners ?? [] where !node.owners.contains(where: { $0.uid == owner.uid }) {
                s.dependents[owner.uid]?.remove(node.uid)
                if s.dependents[owner.uid]?.isEmpty == true { s.dependents[owner.uid] = nil }
            }
            for owner in node.owners { s.dependents[owner.uid, default: []].insert(node.uid) }
            return old
        }
    }

    /// Removes the node of `uid`; remembers it as absent when others depend on it.
    @discardableResult
    func remove(_ uid: String) -> Node? {
        state.withLock { s in
            guard let old = s.nodes.removeValue(forKey: uid) else { return nil }
            for owner in old.owners {
                s.dependents[owner.uid]?.remove(uid)
                if s.dependents[owner.uid]?.isEmpty == true { s.dependents[owner.uid] = nil }
            }
            if s.dependents[uid] != nil && s.absent.insert(uid).inserted {
                s.absentOrder.append(uid)
                if s.absentOrder.count > absentCapacity { s.absent.remove(s.absentOrder.removeFirst()) }
            }
            return old
        }
    }

    /// Records that no object with `uid` exists (a lookup found none).
    func markAbsent(_ uid: String) {
        state.withLock { s in
            guard s.absent.insert(uid).inserted else { return }
            s.absentOrder.append(uid)
            if s.absentOrder.count > absentCapacity { s.absent.remove(s.absentOrder.removeFirst()) }
        }
    }

    func isKnownAbsent(_ uid: String) -> Bool { state.withLock { $0.absent.contains(uid) } }
}
