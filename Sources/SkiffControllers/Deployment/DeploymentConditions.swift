import SkiffModel

/// Deployment conditions (`Available`, `Progressing`, `ReplicaFailure`) with Kubernetes' reasons
/// and update rules.
enum DeploymentConditions {
    static let available = "Available"
    static let progressing = "Progressing"
    static let replicaFailure = "ReplicaFailure"

    // Reasons, as kubectl and users match on them.
    static let minimumReplicasAvailable = "MinimumReplicasAvailable"
    static let minimumReplicasUnavailable = "MinimumReplicasUnavailable"
    static let newReplicaSetCreated = "NewReplicaSetCreated"
    static let foundNewReplicaSet = "FoundNewReplicaSet"
    static let newReplicaSetAvailable = "NewReplicaSetAvailable"
    static let replicaSetUpdated = "ReplicaSetUpdated"
    static let timedOut = "ProgressDeadlineExceeded"
    static let paused = "DeploymentPaused"
    static let resumed = "DeploymentResumed"

    static func get(_ status: JSON, _ type: String) -> JSON? {
        status["conditions"]?.array?.first { $0["type"]?.string == type }
    }

    static func make(_ type: String, _ status: String, reason: String, message: String, now: Double) -> JSON {
        let time = JSON.string(Timestamp.format(now))
        return ["type": .string(type), "status": .string(status), "lastUpdateTime": time, "lastTransitionTime": time,
                "reason": .string(reason), "message": .string(message)]
    }

    /// Sets `condition` (SetDeploymentCondition): no change if one of its type already has the same
    /// status and reason; keeps the old lastTransitionTime if only the reason changed.
    static func set(_ status: inout JSON, _ condition: JSON) {
        var condition = condition
        if let current = get(status, condition["type"]?.string ?? "") {
            if current["status"] == condition["status"] && current["reason"] == condition["reason"] { return }
            if current["status"] == condition["status"] { condition["lastTransitionTime"] = current["lastTransitionTime"] }
        }
        var conditions = (status["conditions"]?.array ?? []).filter { $0["type"] != condition["type"] }
        conditions.append(condition)
        status["conditions"] = .array(conditions)
    }

    static func remove(_ status: inout JSON, _ type: String) {
        let conditions = (status["conditions"]?.array ?? []).filter { $0["type"]?.string != type }
        status["conditions"] = conditions.isEmpty ? nil : .array(conditions)
    }

    /// Seconds since the epoch of a condition's `lastUpdateTime`.
    static func lastUpdate(_ condition: JSON) -> Double {
        condition["lastUpdateTime"]?.string.flatMap(Timestamp.parse) ?? 0
    }
}
