import SkiffModel

/// What one reconcile pass of a StatefulSet knows: its Pods (with the ones this pass created
/// or deleted), the revisions, and the status they give (computeReplicaStatus,
/// completeRollingUpdate).
struct StatefulSetPass {
    let statefulSet: JSON
    private(set) var pods: [JSON]
    let current: JSON
    let update: JSON
    let now: Double
    /// Positions in `pods` by ordinal.
    private(set) var index: [Int: Int] = [:]

    init(statefulSet: JSON, pods: [JSON], current: JSON, update: JSON, now: Double) {
        self.statefulSet = statefulSet
        self.pods = pods
        self.current = current
        self.update = update
        self.now = now
        for (i, pod) in pods.enumerated() {
            if let ordinal = StatefulSetPods.ordinal(of: pod, in: statefulSet) { index[ordinal] = i }
        }
    }

    var replicaCount: Int { statefulSet.specReplicas }
    var start: Int { StatefulSetPods.start(statefulSet) }
    var minReadySeconds: Int { Int(statefulSet["spec", "minReadySeconds"]?.int ?? 0) }
    var monotonic: Bool { statefulSet["spec", "podManagementPolicy"]?.string != "Parallel" }
    var isRollingUpdate: Bool { (statefulSet["spec", "updateStrategy", "type"]?.string ?? "RollingUpdate") == "RollingUpdate" }

    /// The partition: ordinals below it stay at the current revision.
    var partition: Int { isRollingUpdate ? Int(statefulSet["spec", "updateStrategy", "rollingUpdate", "partition"]?.int ?? 0) : 0 }

    /// The Pod of `ordinal`, if any.
    func pod(_ ordinal: Int) -> JSON? {
        index[ordinal].map { pods[$0] }
    }

    /// The Pods whose ordinal is outside `start..<start+replicas`, highest ordinal first.
    var condemned: [JSON] {
        let range = start..<(start + replicaCount)
        return pods.filter { !range.contains(StatefulSetPods.ordinal(of: $0, in: statefulSet) ?? -1) }
            .sorted { (StatefulSetPods.ordinal(of: $0, in: statefulSet) ?? 0) > (StatefulSetPods.ordinal(of: $1, in: statefulSet) ?? 0) }
    }

    /// The template and revision name a new Pod of `ordinal` gets (newVersionedStatefulSetPod):
    /// below the partition the current revision's, else the update revision's.
    func versioned(_ ordinal: Int) -> (template: JSON, revision: String) {
        if isRollingUpdate && ordinal - start < partition {
            return (ControllerHistory.template(of: current), current.objectName)
        }
        return (ControllerHistory.template(of: update), update.objectName)
    }

    func isHealthy(_ pod: JSON) -> Bool {
        StatefulSetPods.isHealthy(pod, minReadySeconds: minReadySeconds, now: now)
    }

    mutating func created(_ pod: JSON) {
        if let ordinal = StatefulSetPods.ordinal(of: pod, in: statefulSet) { index[ordinal] = pods.count }
        pods.append(pod)
    }

    mutating func deleted(_ pod: JSON) {
        guard let ordinal = StatefulSetPods.ordinal(of: pod, in: statefulSet), let i = index[ordinal] else { return }
        pods[i]["metadata", "deletionTimestamp"] = .string(Timestamp.format(now))
    }

    /// The status these Pods give; `observedGeneration` is added when it is written.
    func status(collisionCount: Int64) -> JSON {
        var replicas = 0, ready = 0, available = 0, currentReplicas = 0, updated = 0
        for pod in pods {
            let created = StatefulSetPods.isCreated(pod)
            if created { replicas += 1 }
            if StatefulSetPods.isRunningAndReady(pod) {
                ready += 1
                if PodState.isAvailable(pod, minReadySeconds: minReadySeconds, now: now) { available += 1 }
            }
            if created && !pod.isBeingDeleted {
                let revision = StatefulSetPods.revision(of: pod)
                if revision == current.objectName { currentReplicas += 1 }
                if revision == update.objectName { updated += 1 }
            }
        }
        var currentRevision = current.objectName
        if isRollingUpdate && updated == replicas && ready == replicas {
            currentReplicas = updated
            currentRevision = update.objectName
        }
        var status: JSON = ["replicas": .int(Int64(replicas)), "availableReplicas": .int(Int64(available)),
                            "currentRevision": .string(currentRevision), "updateRevision": .string(update.objectName),
                            "collisionCount": .int(collisionCount)]
        if ready > 0 { status["readyReplicas"] = .int(Int64(ready)) }
        if currentReplicas > 0 { status["currentReplicas"] = .int(Int64(currentReplicas)) }
        if updated > 0 { status["updatedReplicas"] = .int(Int64(updated)) }
        if let conditions = statefulSet["status", "conditions"], !conditions.isNull { status["conditions"] = conditions }
        return status
    }
}
