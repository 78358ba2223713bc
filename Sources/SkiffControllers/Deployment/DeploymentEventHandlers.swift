import SkiffClient
import SkiffModel

/// What the Deployment controller does with ReplicaSet and Pod events: queue the Deployment that
/// controls the changed ReplicaSet (for an orphan, every Deployment whose selector matches it),
/// and, for Recreate, the Deployment whose old Pod went away.
struct DeploymentEventHandlers: Sendable {
    let queue: WorkQueue<String>
    let deployments: Lister
    let replicaSets: Lister

    var replicaSetHandler: EventHandler {
        let handlers = self
        return EventHandler(onAdd: { await handlers.replicaSetAdded($0) },
                            onUpdate: { await handlers.replicaSetUpdated(old: $0, new: $1) },
                            onDelete: { await handlers.enqueueOwner(of: $0) })
    }

    var podHandler: EventHandler {
        let handlers = self
        return EventHandler(onDelete: { await handlers.podDeleted($0) })
    }

    func resolve(_ ref: JSON?, namespace: String) -> JSON? {
        guard let ref, ref["kind"]?.string == "Deployment", let name = ref["name"]?.string,
              let d = deployments.get(namespace: namespace, name: name), d.objectUID == ref["uid"]?.string else { return nil }
        return d
    }

    func enqueueOwner(of rs: JSON) async {
        if let d = resolve(rs.controllerRef, namespace: rs.objectNamespace) { await queue.add(ObjectKey.of(d)) }
    }

    func enqueueMatching(_ rs: JSON) async {
        let labels = rs.objectLabels
        for d in deployments.list(namespace: rs.objectNamespace) {
            let selector = d.specSelector
            if !selector.isEverything && selector.matches(labels) { await queue.add(ObjectKey.of(d)) }
        }
    }

    func replicaSetAdded(_ rs: JSON) async {
        if rs.controllerRef != nil || rs.isBeingDeleted {
            await enqueueOwner(of: rs)
        } else {
            await enqueueMatching(rs)
        }
    }

    func replicaSetUpdated(old: JSON, new: JSON) async {
        if old["metadata", "resourceVersion"] == new["metadata", "resourceVersion"] { return }
        let oldRef = old.controllerRef, newRef = new.controllerRef
        let refChanged = oldRef != newRef
        if refChanged, oldRef != nil { await enqueueOwner(of: old) }
        if newRef != nil {
            await enqueueOwner(of: new)
        } else if refChanged || old.objectLabels != new.objectLabels {
            await enqueueMatching(new)
        }
    }

    /// A Recreate rollout waits for the old Pods to be gone: look again when one goes.
    func podDeleted(_ pod: JSON) async {
        guard let ref = pod.controllerRef, ref["kind"]?.string == "ReplicaSet", let name = ref["name"]?.string,
              let rs = replicaSets.get(namespace: pod.objectNamespace, name: name), rs.objectUID == ref["uid"]?.string,
              let d = resolve(rs.controllerRef, namespace: rs.objectNamespace),
              !RolloutMath.isRollingUpdate(d) else { return }
        await queue.add(ObjectKey.of(d))
    }
}
