import SkiffClient
import SkiffModel

extension DeploymentController {
    /// Scaling only, for paused Deployments and resizes mid-rollout: scale, clean up when
    /// paused, write status (sync).
    func sync(_ d: inout JSON, _ rsList: [JSON]) async throws {
        let (new, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
        try await scale(d, new: new, old: old)
        if d["spec", "paused"]?.bool == true {
            try await cleanup(d, old: old)
        }
        try await syncStatus(d, all: old + (new.map { [$0] } ?? []), new: new)
    }

    /// Whether an active ReplicaSet was last sized for another `spec.replicas` (isScalingEvent).
    func isScalingEvent(_ d: inout JSON, _ rsList: [JSON]) async throws -> Bool {
        let (new, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
        let desired = d.specReplicas
        return RolloutMath.active(old + (new.map { [$0] } ?? [])).contains { rs in
            DeploymentAnnotations.desiredReplicas(of: rs).map { $0 != desired } ?? false
        }
    }

    /// Resizes the ReplicaSets to the Deployment's size: the only active one (or the newest) takes
    /// it all; with a saturated new ReplicaSet the old ones go to zero; otherwise a rolling update
    /// spreads the difference in proportion to their sizes, leftovers to the largest.
    func scale(_ d: JSON, new: JSON?, old: [JSON]) async throws {
        let desired = d.specReplicas
        if let only = RolloutMath.activeOrLatest(new: new, old: old) {
            if only.specReplicas != desired {
                _ = try await scaleReplicaSetAndRecordEvent(only, to: desired, d)
            }
            return
        }
        if RolloutMath.isSaturated(d, new) {
            for rs in RolloutMath.active(old) {
                _ = try await scaleReplicaSetAndRecordEvent(rs, to: 0, d)
            }
            return
        }
        guard RolloutMath.isRollingUpdate(d) else { return }
        var all = RolloutMath.active(old + (new.map { [$0] } ?? []))
        let allowed = desired > 0 ? desired + RolloutMath.maxSurge(d) : 0
        let toAdd = allowed - RolloutMath.specReplicas(all)
        let operation: String
        if toAdd > 0 {
            all = ReplicaSetOrder.bySizeNewer(all)
            operation = "up"
        } else if toAdd < 0 {
            all = ReplicaSetOrder.bySizeOlder(all)
            operation = "down"
        } else {
            operation = ""
        }
        var added = 0
        var sizes: [Int] = []
        for rs in all {
            if toAdd != 0 {
                let share = RolloutMath.proportion(rs, d, toAdd: toAdd, added: added)
                sizes.append(rs.specReplicas + share)
                added += share
            } else {
                sizes.append(rs.specReplicas)
            }
        }
        for (i, rs) in all.enumerated() {
            var size = sizes[i]
            if i == 0 && toAdd != 0 {
                size = max(0, size + toAdd - added)  // leftovers to the largest
            }
            _ = try await scaleReplicaSet(rs, to: size, d, operation: operation)
        }
    }

    func scaleReplicaSetAndRecordEvent(_ rs: JSON, to size: Int, _ d: JSON) async throws -> (scaled: Bool, rs: JSON) {
        if rs.specReplicas == size { return (false, rs) }
        return try await scaleReplicaSet(rs, to: size, d, operation: rs.specReplicas < size ? "up" : "down")
    }

    /// Sets a ReplicaSet's size and its desired/max replica annotations; records
    /// `ScalingReplicaSet` when the size changed.
    func scaleReplicaSet(_ rs: JSON, to size: Int, _ d: JSON, operation: String) async throws -> (scaled: Bool, rs: JSON) {
        let desired = d.specReplicas
        let maxReplicas = desired + RolloutMath.maxSurge(d)
        let sizeChanged = rs.specReplicas != size
        guard sizeChanged || DeploymentAnnotations.replicasNeedUpdate(rs, desired: desired, max: maxReplicas) else { return (false, rs) }
        var updated = rs
        updated["spec", "replicas"] = .int(Int64(size))
        DeploymentAnnotations.setReplicas(&updated, desired: desired, max: maxReplicas)
        updated = try await client.update(.replicaSets, updated)
        if sizeChanged {
            events.event(d, reason: "ScalingReplicaSet",
                         message: "Scaled \(operation) replica set \(rs.objectName) from \(rs.specReplicas) to \(size)")
        }
        return (sizeChanged, updated)
    }

    /// Deletes the oldest revisions beyond `revisionHistoryLimit`, skipping any ReplicaSet that
    /// still has Pods, is not scaled to zero, has an unobserved spec, or is being deleted.
    func cleanup(_ d: JSON, old: [JSON]) async throws {
        guard let limit = RolloutMath.revisionHistoryLimit(d) else { return }
        let cleanable = old.filter { !$0.isBeingDeleted }
        let excess = cleanable.count - limit
        guard excess > 0 else { return }
        for rs in ReplicaSetOrder.byRevision(cleanable).prefix(excess) {
            if rs.statusCount("replicas") != 0 || rs.specReplicas != 0
                || rs.objectGeneration > Int64(rs.statusCount("observedGeneration")) || rs.isBeingDeleted { continue }
            do {
                try await client.delete(.replicaSets, namespace: rs.objectNamespace, name: rs.objectName,
                                        options: .init(preconditionUID: rs.objectUID))
            } catch let error as APIError where error.isNotFound {
                continue
            }
        }
    }
}
