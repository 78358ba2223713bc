import SkiffModel

/// Which Pods a ReplicaSet deletes first when it scales down (kube-controller-manager's
/// `ActivePodsWithRanks`): the least valuable first.
///
/// 1. not scheduled before scheduled;
/// 2. `Pending` before `Unknown` before `Running`;
/// 3. not ready before ready;
/// 4. lower `controller.kubernetes.io/pod-deletion-cost` first;
/// 5. more Pods of the same owner family on its node first (spreads what remains);
/// 6. both ready: ready for less time first (on a logarithmic scale of the time);
/// 7. more container restarts first;
/// 8. newer first (on a logarithmic scale of age), then by UID for a stable order.
struct PodDeletionOrder {
    var now: Double

    /// The `count` Pods of `pods` to delete, given `related` (the Pods of every ReplicaSet of the
    /// same Deployment, for rule 5).
    func podsToDelete(_ pods: [JSON], related: [JSON], count: Int) -> [JSON] {
        guard count < pods.count else { return pods }
        var perNode: [String: Int] = [:]
        for pod in related where PodState.isActive(pod) {
            perNode[pod["spec", "nodeName"]?.string ?? "", default: 0] += 1
        }
        let ranked = pods.map { ($0, perNode[$0["spec", "nodeName"]?.string ?? ""] ?? 0) }
        return Array(ranked.sorted { before($0.0, $0.1, $1.0, $1.1) }.prefix(count).map(\.0))
    }

    static let phaseOrdinal: [String: Int] = ["Pending": 0, "Unknown": 1, "Running": 2]

    /// Whether `a` (on a node with `rankA` related Pods) is deleted before `b`.
    func before(_ a: JSON, _ rankA: Int, _ b: JSON, _ rankB: Int) -> Bool {
        let nodeA = a["spec", "nodeName"]?.string ?? "", nodeB = b["spec", "nodeName"]?.string ?? ""
        if nodeA != nodeB && (nodeA.isEmpty || nodeB.isEmpty) { return nodeA.isEmpty }
        let phaseA = Self.phaseOrdinal[a["status", "phase"]?.string ?? ""] ?? 0
        let phaseB = Self.phaseOrdinal[b["status", "phase"]?.string ?? ""] ?? 0
        if phaseA != phaseB { return phaseA < phaseB }
        let readyA = PodState.isReady(a), readyB = PodState.isReady(b)
        if readyA != readyB { return !readyA }
        let costA = PodState.deletionCost(a), costB = PodState.deletionCost(b)
        if costA != costB { return costA < costB }
        if rankA != rankB { return rankA > rankB }
        if readyA && readyB {
            let sinceA = PodState.readySince(a), sinceB = PodState.readySince(b)
            if sinceA != sinceB {
                if let order = newerFirst(sinceA, sinceB, uidA: a.objectUID, uidB: b.objectUID) { return order }
            }
        }
        let restartsA = PodState.maxRestarts(a), restartsB = PodState.maxRestarts(b)
        if restartsA != restartsB { return restartsA > restartsB }
        let createdA = a.creationSeconds, createdB = b.creationSeconds
        if createdA != createdB {
            if let order = newerFirst(createdA, createdB, uidA: a.objectUID, uidB: b.objectUID) { return order }
        }
        return false
    }

    /// Later (or unknown) times first, compared by the logarithm of their age so that Pods of
    /// similar age are treated alike; ties broken by UID.
    func newerFirst(_ a: Double?, _ b: Double?, uidA: String, uidB: String) -> Bool? {
        guard let a, let b, a > 0, b > 0 else {
            if a == nil || a == 0 { return b != nil && b != 0 }
            return false
        }
        let diff = Self.logRank(now - a) - Self.logRank(now - b)
        if diff == 0 { return uidA < uidB }
        return diff < 0
    }

    /// floor(log2(age in nanoseconds)), as Kubernetes' logarithmic scale-down; -1 for no age.
    static func logRank(_ seconds: Double) -> Int {
        let nanos = seconds * 1e9
        return nanos >= 1 ? Int(nanos.exponent) : -1  // the exponent of a positive double is floor(log2)
    }
}
