import SkiffClient
import SkiffModel

extension DaemonSetController {
    /// Replaces old Pods node by node (rollingUpdate). With `maxSurge` 0: deletes old Pods
    /// while fewer than `maxUnavailable` nodes are unavailable (an old Pod that is not available
    /// anyway always goes); the manage pass creates the new Pod once the old one is gone. With a
    /// surge: creates the new Pod next to the old one on up to `maxSurge` nodes at a time, and
    /// deletes the old Pod once the new one is available.
    func rollingUpdate(_ ds: JSON, _ pods: [JSON], nodes: [JSON], hash: String, key: String) async throws {
        var byNode = Self.podsByNode(pods)
        let wanted = nodes.filter { DaemonSetNodes.shouldRun(ds, on: $0).run }
        // A node that should run a Pod and has none counts as unavailable (updatedDesiredNodeCounts).
        for node in wanted where byNode[node.objectName] == nil { byNode[node.objectName] = [] }
        let desired = wanted.count
        let (maxSurge, maxUnavailable) = DaemonSetRollout.limits(ds, desired: desired)
        let generation = DaemonSetNodes.templateGeneration(ds)
        let minReady = Int(ds["spec", "minReadySeconds"]?.int ?? 0)
        let now = wallClock()
        func available(_ pod: JSON) -> Bool { PodState.isAvailable(pod, minReadySeconds: minReady, now: now) }
        let nodeNames = byNode.keys.sorted()

        if maxSurge == 0 {
            var unavailable = 0
            var replace: [JSON] = [], candidates: [JSON] = []
            for node in nodeNames {
                guard let split = DaemonSetRollout.split(byNode[node] ?? [], hash: hash, generation: generation) else {
                    unavailable += 1
                    continue
                }
                switch (split.new, split.old) {
                case (nil, nil), (.some, .some):
                    unavailable += 1
                case (let new?, nil):
                    if !available(new) { unavailable += 1 }
                case (nil, let old?):
                    if !available(old) {
                        replace.append(old)
                    } else if unavailable < maxUnavailable {
                        candidates.append(old)
                    }
                }
            }
            let room = max(0, min(maxUnavailable - unavailable, candidates.count))
            try await syncNodes(ds, delete: replace + candidates.prefix(room), create: [], hash: hash, key: key)
            return
        }

        var surged = 0
        var allowed: [String] = [], candidates: [String] = [], oldToDelete: [JSON] = []
        for node in nodeNames {
            guard let split = DaemonSetRollout.split(byNode[node] ?? [], hash: hash, generation: generation) else {
                surged += 1
                continue
            }
            switch (split.new, split.old) {
            case (_, nil):
                break
            case (nil, let old?):
                if !available(old) {
                    allowed.append(node)
                } else if surged < maxSurge {
                    candidates.append(node)
                }
            case (let new?, let old?):
                if available(new) { oldToDelete.append(old) } else { surged += 1 }
            }
        }
        let room = max(0, min(maxSurge - surged, candidates.count))
        try await syncNodes(ds, delete: oldToDelete, create: allowed + candidates.prefix(room), hash: hash, key: key)
    }
}
