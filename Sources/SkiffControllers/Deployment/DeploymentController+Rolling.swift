import SkiffClient
import SkiffModel

extension DeploymentController {
    /// One step of a rolling update: scale the new ReplicaSet up if the surge allows, else scale
    /// old ones down if availability allows, then clean up and write status.
    func rolloutRolling(_ d: inout JSON, _ rsList: [JSON]) async throws {
        let (created, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: true)
        guard let new = created else { return }
        let all = old + [new]
        if try await reconcileNewReplicaSet(d, all: all, new: new) {
            return try await syncRolloutStatus(d, all: all, new: new)
        }
        if try await reconcileOldReplicaSets(d, all: all, old: RolloutMath.active(old), new: new) {
            return try await syncRolloutStatus(d, all: all, new: new)
        }
        if RolloutMath.isComplete(d, status: d["status"] ?? [:]) {
            try await cleanup(d, old: old)
        }
        try await syncRolloutStatus(d, all: all, new: new)
    }

    /// Scales the new ReplicaSet toward `spec.replicas` within the surge; returns whether it scaled.
    func reconcileNewReplicaSet(_ d: JSON, all: [JSON], new: JSON) async throws -> Bool {
        let desired = d.specReplicas
        if new.specReplicas == desired { return false }
        let target = new.specReplicas > desired ? desired : RolloutMath.newReplicaSetReplicas(d, all: all, new: new)
        return try await scaleReplicaSetAndRecordEvent(new, to: target, d).scaled
    }

    /// Scales old ReplicaSets down as far as `replicas - maxUnavailable` available Pods allow,
    /// unhealthy replicas first; returns whether any scaled.
    func reconcileOldReplicaSets(_ d: JSON, all: [JSON], old: [JSON], new: JSON) async throws -> Bool {
        let oldCount = RolloutMath.specReplicas(old)
        if oldCount == 0 { return false }
        let allCount = RolloutMath.specReplicas(all)
        let minAvailable = d.specReplicas - RolloutMath.maxUnavailable(d)
        let newUnavailable = new.specReplicas - new.statusCount("availableReplicas")
        let maxScaledDown = allCount - minAvailable - newUnavailable
        if maxScaledDown <= 0 { return false }
        // Unavailable old replicas go first: they would otherwise block the rollout.
        let (cleaned, cleanedCount) = try await cleanupUnhealthyReplicas(d, old: old, max: maxScaledDown)
        let scaledDown = try await scaleDownOldReplicaSetsForRollingUpdate(d, all: cleaned + [new], old: cleaned)
        return cleanedCount + scaledDown > 0
    }

    func cleanupUnhealthyReplicas(_ d: JSON, old: [JSON], max: Int) async throws -> (old: [JSON], scaledDown: Int) {
        var result = ReplicaSetOrder.byCreation(old)
        var total = 0
        for (i, rs) in result.enumerated() {
            if total >= max { break }
            let available = rs.statusCount("availableReplicas")
            if rs.specReplicas == 0 || rs.specReplicas == available { continue }
            let count = min(max - total, rs.specReplicas - available)
            let (_, updated) = try await scaleReplicaSetAndRecordEvent(rs, to: rs.specReplicas - count, d)
            total += count
            result[i] = updated
        }
        return (result, total)
    }

    /// Scales old ReplicaSets down, oldest first, by as many Pods as are available above
    /// `replicas - maxUnavailable`.
    func scaleDownOldReplicaSetsForRollingUpdate(_ d: JSON, all: [JSON], old: [JSON]) async throws -> Int {
        let minAvailable = d.specReplicas - RolloutMath.maxUnavailable(d)
        let available = RolloutMath.statusReplicas(all, "availableReplicas")
        if available <= minAvailable { return 0 }
        let toScaleDown = available - minAvailable
        var total = 0
        for rs in ReplicaSetOrder.byCreation(old) {
            if total >= toScaleDown { break }
            if rs.specReplicas == 0 { continue }
            let count = min(rs.specReplicas, toScaleDown - total)
            _ = try await scaleReplicaSetAndRecordEvent(rs, to: rs.specReplicas - count, d)
            total += count
        }
        return total
    }
}
