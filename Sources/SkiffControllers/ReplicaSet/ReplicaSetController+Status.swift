import SkiffClient
import SkiffModel

extension ReplicaSetController {
    /// The status `pods` (the active Pods the ReplicaSet owns) give: counts, and a
    /// `ReplicaFailure` condition while managing replicas fails. Zero counts are left out, as
    /// Kubernetes' `omitempty` does; `replicas` is always present.
    func calculateStatus(_ rs: JSON, _ pods: [JSON], manageError: (any Error)?) -> JSON {
        var status = rs["status"] ?? [:]
        let templateLabels = rs["spec", "template", "metadata", "labels"]?.stringMap ?? [:]
        let minReady = Int(rs["spec", "minReadySeconds"]?.int ?? 0)
        let now = wallClock()
        var fullyLabeled = 0, ready = 0, available = 0
        for pod in pods {
            let labels = pod.objectLabels
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value }) { fullyLabeled += 1 }
            if PodState.isReady(pod) {
                ready += 1
                if PodState.isAvailable(pod, minReadySeconds: minReady, now: now) { available += 1 }
            }
        }
        var conditions = status["conditions"]?.array ?? []
        let failure = conditions.firstIndex { $0["type"]?.string == "ReplicaFailure" }
        if let manageError, failure == nil {
            let diff = pods.count - rs.specReplicas
            let reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : ""
            conditions.append(["type": "ReplicaFailure", "status": "True", "lastTransitionTime": .string(Timestamp.format(now)),
                               "reason": .string(reason), "message": .string((manageError as? APIError)?.message ?? "\(manageError)")])
        } else if manageError == nil, let failure {
            conditions.remove(at: failure)
        }
        status["conditions"] = conditions.isEmpty ? nil : .array(conditions)
        status["replicas"] = .int(Int64(pods.count))
        status["fullyLabeledReplicas"] = fullyLabeled == 0 ? nil : .int(Int64(fullyLabeled))
        status["readyReplicas"] = ready == 0 ? nil : .int(Int64(ready))
        status["availableReplicas"] = available == 0 ? nil : .int(Int64(available))
        return status
    }

    /// Writes `status` (with `observedGeneration`: the generation this pass acted on) unless the
    /// ReplicaSet already has it. On a conflict it reads the ReplicaSet again and retries once.
    /// Returns the ReplicaSet as stored.
    func updateStatus(_ rs: JSON, _ status: JSON) async throws -> JSON {
        var status = status
        status["observedGeneration"] = .int(rs.objectGeneration)
        if rs["status"] == status { return rs }
        var object = rs
        object["status"] = status
        do {
            return try await client.updateStatus(Self.resource, object)
        } catch let error as APIError where error.isConflict {
            var fresh = try await client.get(Self.resource, namespace: rs.objectNamespace, name: rs.objectName)
            guard fresh.objectUID == rs.objectUID else { throw error }
            fresh["status"] = status  // still the generation acted on
            return try await client.updateStatus(Self.resource, fresh)
        }
    }
}
