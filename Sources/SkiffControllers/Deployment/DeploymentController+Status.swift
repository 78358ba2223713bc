import SkiffClient
import SkiffModel

extension DeploymentController {
    /// The status the ReplicaSets give (calculateStatus): counts (zeros left out, as
    /// `omitempty`), `observedGeneration`, the conditions so far with `Available` set from
    /// `replicas - maxUnavailable`, and `collisionCount`.
    func calculateStatus(_ d: JSON, all: [JSON], new: JSON?) -> JSON {
        let available = RolloutMath.statusReplicas(all, "availableReplicas")
        let unavailable = max(0, RolloutMath.specReplicas(all) - available)
        var status: JSON = [:]
        func put(_ key: String, _ n: Int) { if n != 0 { status[key] = .int(Int64(n)) } }
        put("observedGeneration", Int(d.objectGeneration))
        put("replicas", RolloutMath.statusReplicas(all))
        put("updatedReplicas", new.map { $0.statusCount("replicas") } ?? 0)
        put("readyReplicas", RolloutMath.statusReplicas(all, "readyReplicas"))
        put("availableReplicas", available)
        put("unavailableReplicas", unavailable)
        if let conditions = d["status", "conditions"], conditions.array?.isEmpty == false { status["conditions"] = conditions }
        if let collisions = d["status", "collisionCount"] { status["collisionCount"] = collisions }
        if available >= d.specReplicas - RolloutMath.maxUnavailable(d) {
            DeploymentConditions.set(&status, DeploymentConditions.make(
                DeploymentConditions.available, "True", reason: DeploymentConditions.minimumReplicasAvailable,
                message: "Deployment has minimum availability.", now: wallClock()))
        } else {
            DeploymentConditions.set(&status, DeploymentConditions.make(
                DeploymentConditions.available, "False", reason: DeploymentConditions.minimumReplicasUnavailable,
                message: "Deployment does not have minimum availability.", now: wallClock()))
        }
        return status
    }

    /// Writes the calculated status if it changed (syncDeploymentStatus).
    func syncStatus(_ d: JSON, all: [JSON], new: JSON?) async throws {
        let status = calculateStatus(d, all: all, new: new)
        if (d["status"] ?? [:]) == status { return }
        var updated = d
        updated["status"] = status
        _ = try await client.updateStatus(Self.resource, updated)
    }

    /// Writes status with the `Progressing` condition brought up to date (syncRolloutStatus):
    /// `NewReplicaSetAvailable` once complete, `ReplicaSetUpdated` (with a new lastUpdateTime)
    /// on progress, `ProgressDeadlineExceeded` after `progressDeadlineSeconds` without progress;
    /// `ReplicaFailure` copied from the ReplicaSets. Without a change it only schedules the next
    /// look at the deadline.
    func syncRolloutStatus(_ d: JSON, all: [JSON], new: JSON?) async throws {
        var status = calculateStatus(d, all: all, new: new)
        let now = wallClock()
        let deadline = RolloutMath.progressDeadline(d)
        if deadline == nil { DeploymentConditions.remove(&status, DeploymentConditions.progressing) }
        let current = DeploymentConditions.get(d["status"] ?? [:], DeploymentConditions.progressing)
        let completeBefore = (status["replicas"] == status["updatedReplicas"])
            && current?["reason"]?.string == DeploymentConditions.newReplicaSetAvailable
        if deadline != nil && !completeBefore {
            let subject = new.map { "ReplicaSet \"\($0.objectName)\"" } ?? "Deployment \"\(d.objectName)\""
            if RolloutMath.isComplete(d, status: status) {
                DeploymentConditions.set(&status, DeploymentConditions.make(
                    DeploymentConditions.progressing, "True", reason: DeploymentConditions.newReplicaSetAvailable,
                    message: "\(subject) has successfully progressed.", now: now))
            } else if RolloutMath.isProgressing(d, status: status) {
                var condition = DeploymentConditions.make(
                    DeploymentConditions.progressing, "True", reason: DeploymentConditions.replicaSetUpdated,
                    message: "\(subject) is progressing.", now: now)
                if let current {
                    if current["status"]?.string == "True" { condition["lastTransitionTime"] = current["lastTransitionTime"] }
                    DeploymentConditions.remove(&status, DeploymentConditions.progressing)
                }
                DeploymentConditions.set(&status, condition)
            } else if timedOut(d, status: status, now: now) {
                DeploymentConditions.set(&status, DeploymentConditions.make(
                    DeploymentConditions.progressing, "False", reason: DeploymentConditions.timedOut,
                    message: "\(subject) has timed out progressing.", now: now))
            }
        }
        if let failure = replicaFailure(all: all, new: new) {
            DeploymentConditions.set(&status, failure)
        } else {
            DeploymentConditions.remove(&status, DeploymentConditions.replicaFailure)
        }
        if (d["status"] ?? [:]) == status {
            await requeueStuck(d, status: status, now: now)
            return
        }
        var updated = d
        updated["status"] = status
        _ = try await client.updateStatus(Self.resource, updated)
    }

    /// No progress for `progressDeadlineSeconds` since the `Progressing` condition's lastUpdateTime.
    func timedOut(_ d: JSON, status: JSON, now: Double) -> Bool {
        guard let deadline = RolloutMath.progressDeadline(d),
              let condition = DeploymentConditions.get(status, DeploymentConditions.progressing) else { return false }
        switch condition["reason"]?.string {
        case DeploymentConditions.newReplicaSetAvailable: return false
        case DeploymentConditions.timedOut: return true
        default: return DeploymentConditions.lastUpdate(condition) + Double(deadline) < now
        }
    }

    /// A rollout that is neither complete nor timed out is looked at again when its deadline passes.
    func requeueStuck(_ d: JSON, status: JSON, now: Double) async {
        guard let deadline = RolloutMath.progressDeadline(d),
              let current = DeploymentConditions.get(d["status"] ?? [:], DeploymentConditions.progressing),
              !RolloutMath.isComplete(d, status: status), current["reason"]?.string != DeploymentConditions.timedOut else { return }
        let after = DeploymentConditions.lastUpdate(current) + Double(deadline) - now
        let key = ObjectKey.of(d)
        if after < 1 {
            await queue.addRateLimited(key)
        } else {
            await queue.addAfter(key, .milliseconds(Int64(after * 1000)))
        }
    }

    /// The `ReplicaFailure` condition of the new ReplicaSet, else of the newest old one with one.
    func replicaFailure(all: [JSON], new: JSON?) -> JSON? {
        let candidates = (new.map { [$0] } ?? []) + ReplicaSetOrder.byCreation(all.filter { $0.objectUID != new?.objectUID }).reversed()
        for rs in candidates {
            if let c = (rs["status", "conditions"]?.array ?? []).first(where: { $0["type"]?.string == "ReplicaFailure" }) {
                return ["type": "ReplicaFailure", "status": c["status"] ?? "True", "lastUpdateTime": c["lastTransitionTime"] ?? .null,
                        "lastTransitionTime": c["lastTransitionTime"] ?? .null, "reason": c["reason"] ?? "", "message": c["message"] ?? ""]
            }
        }
        return nil
    }

    /// Records `DeploymentPaused` / `DeploymentResumed` in `Progressing` when `spec.paused`
    /// changes, so that a paused rollout never times out.
    func checkPausedConditions(_ d: inout JSON) async throws {
        guard RolloutMath.progressDeadline(d) != nil else { return }
        var status = d["status"] ?? [:]
        let current = DeploymentConditions.get(status, DeploymentConditions.progressing)
        if current?["reason"]?.string == DeploymentConditions.timedOut { return }
        let pausedRecorded = current?["reason"]?.string == DeploymentConditions.paused
        let paused = d["spec", "paused"]?.bool == true
        if paused && !pausedRecorded {
            DeploymentConditions.set(&status, DeploymentConditions.make(
                DeploymentConditions.progressing, "Unknown", reason: DeploymentConditions.paused,
                message: "Deployment is paused", now: wallClock()))
        } else if !paused && pausedRecorded {
            DeploymentConditions.set(&status, DeploymentConditions.make(
                DeploymentConditions.progressing, "Unknown", reason: DeploymentConditions.resumed,
                message: "Deployment is resumed", now: wallClock()))
        } else {
            return
        }
        try await write(&d, revision: nil, status: status)
    }
}
