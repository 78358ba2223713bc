import SkiffClient
import SkiffModel

extension DeploymentController {
    /// One step of a Recreate rollout: old ReplicaSets to zero; once no old Pod is left, the new
    /// ReplicaSet (created only now) to full size.
    func rolloutRecreate(_ d: inout JSON, _ rsList: [JSON], selector: LabelSelector) async throws {
        var (new, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
        var all = old + (new.map { [$0] } ?? [])
        var scaledDown = false
        for rs in RolloutMath.active(old) {
            if try await scaleReplicaSetAndRecordEvent(rs, to: 0, d).scaled { scaledDown = true }
        }
        if scaledDown || oldPodsRunning(d, new: new, old: old, rsList: rsList, selector: selector) {
            return try await syncRolloutStatus(d, all: all, new: new)
        }
        if new == nil {
            (new, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: true)
            all = old + (new.map { [$0] } ?? [])
        }
        if let rs = new {
            _ = try await scaleReplicaSetAndRecordEvent(rs, to: d.specReplicas, d)
        }
        if RolloutMath.isComplete(d, status: d["status"] ?? [:]) {
            try await cleanup(d, old: old)
        }
        try await syncRolloutStatus(d, all: all, new: new)
    }

    /// Whether an old ReplicaSet still counts Pods, or a Pod of one (matching the selector, not
    /// finished; terminating ones included) still exists.
    func oldPodsRunning(_ d: JSON, new: JSON?, old: [JSON], rsList: [JSON], selector: LabelSelector) -> Bool {
        if RolloutMath.statusReplicas(old) > 0 { return true }
        let oldUIDs = Set(rsList.map(\.objectUID)).subtracting([new?.objectUID ?? ""])
        return pods.list(namespace: d.objectNamespace, selector: selector).contains { pod in
            guard let owner = pod.controllerRef?["uid"]?.string, oldUIDs.contains(owner) else { return false }
            let phase = pod["status", "phase"]?.string
            return phase != "Succeeded" && phase != "Failed"
        }
    }
}
