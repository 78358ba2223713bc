import SkiffClient
import SkiffModel

extension DaemonSetController {
    /// The status the nodes and Pods give (updateDaemonSetStatus), counting for each node the
    /// oldest of its Pods. Zero counts of `omitempty` fields are left out, as Kubernetes does.
    func calculateStatus(_ ds: JSON, _ pods: [JSON], nodes: [JSON], hash: String) -> JSON {
        let byNode = Self.podsByNode(pods.filter { !($0.isBeingDeleted && Self.isTerminal($0)) })
        let generation = DaemonSetNodes.templateGeneration(ds)
        let minReady = Int(ds["spec", "minReadySeconds"]?.int ?? 0)
        let now = wallClock()
        var desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0
        for node in nodes {
            let onNode = byNode[node.objectName] ?? []
            guard DaemonSetNodes.shouldRun(ds, on: node).run else {
                if !onNode.isEmpty { misscheduled += 1 }
                continue
            }
            desired += 1
            guard let pod = onNode.first else { continue }
            current += 1
            if PodState.isReady(pod) {
                ready += 1
                if PodState.isAvailable(pod, minReadySeconds: minReady, now: now) { available += 1 }
            }
            if DaemonSetNodes.isUpdated(pod, hash: hash, generation: generation) { updated += 1 }
        }
        var status: JSON = ["desiredNumberScheduled": .int(Int64(desired)), "currentNumberScheduled": .int(Int64(current)),
                            "numberMisscheduled": .int(Int64(misscheduled)), "numberReady": .int(Int64(ready))]
        if updated > 0 { status["updatedNumberScheduled"] = .int(Int64(updated)) }
        if available > 0 { status["numberAvailable"] = .int(Int64(available)) }
        if desired - available > 0 { status["numberUnavailable"] = .int(Int64(desired - available)) }
        for field in ["collisionCount", "conditions"] {
            if let value = ds["status", field], !value.isNull { status[field] = value }
        }
        return status
    }

    /// Writes the status with `observedGeneration` unless the DaemonSet already has it; on a
    /// conflict reads it again and retries once.
    func updateStatus(_ ds: JSON, _ pods: [JSON], nodes: [JSON], hash: String) async throws {
        var status = calculateStatus(ds, pods, nodes: nodes, hash: hash)
        status["observedGeneration"] = .int(ds.objectGeneration)
        if ds["status"] == status { return }
        var object = ds
        object["status"] = status
        do {
            _ = try await client.updateStatus(Self.resource, object)
        } catch let error as APIError where error.isConflict {
            var fresh = try await client.get(Self.resource, namespace: ds.objectNamespace, name: ds.objectName)
            guard fresh.objectUID == ds.objectUID else { throw error }
            if let count = fresh["status", "collisionCount"] { status["collisionCount"] = count }
            fresh["status"] = status
            _ = try await client.updateStatus(Self.resource, fresh)
        }
    }
}
