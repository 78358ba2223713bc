import SkiffClient
import SkiffModel

/// What the ReplicaSet controller does with informer events: record the creates and deletes its
/// expectations wait for, and queue the keys of the ReplicaSets a change concerns (the Pod's
/// controller; for an orphan, every ReplicaSet whose selector matches it).
struct ReplicaSetEventHandlers: Sendable {
    let queue: WorkQueue<String>
    let expectations: ControllerExpectations
    let replicaSets: Lister

    var replicaSetHandler: EventHandler {
        let queue = queue, expectations = expectations
        return EventHandler(onAdd: { await queue.add(ObjectKey.of($0)) },
                            onUpdate: { _, new in await queue.add(ObjectKey.of(new)) },
                            onDelete: { rs in
                                expectations.delete(ObjectKey.of(rs))
                                await queue.add(ObjectKey.of(rs))
                            })
    }

    var podHandler: EventHandler {
        let handlers = self
        return EventHandler(onAdd: { await handlers.podAdded($0) },
                            onUpdate: { await handlers.podUpdated(old: $0, new: $1) },
                            onDelete: { await handlers.podDeleted($0) })
    }

    /// The ReplicaSet `ref` (a Pod's controller reference) points to, if it is in the cache with that UID.
    func resolve(_ ref: JSON?, namespace: String) -> JSON? {
        guard let ref, ref["kind"]?.string == "ReplicaSet", let name = ref["name"]?.string,
              let rs = replicaSets.get(namespace: namespace, name: name), rs.objectUID == ref["uid"]?.string else { return nil }
        return rs
    }

    /// The ReplicaSets of the Pod's namespace whose selector matches its labels.
    func matching(_ pod: JSON) -> [JSON] {
        let labels = pod.objectLabels
        return replicaSets.list(namespace: pod.objectNamespace).filter { rs in
            let selector = rs.specSelector
            return !selector.isEverything && selector.matches(labels)
        }
    }

    func podAdded(_ pod: JSON) async {
        if pod.isBeingDeleted {
            // Seen for the first time while already terminating (after a restart): not a creation.
            await podDeleted(pod)
            return
        }
        if let ref = pod.controllerRef {
            guard let rs = resolve(ref, namespace: pod.objectNamespace) else { return }
            let key = ObjectKey.of(rs)
            expectations.creationObserved(key)
            await queue.add(key)
            return
        }
        for rs in matching(pod) { await queue.add(ObjectKey.of(rs)) }
    }

    func podUpdated(old: JSON, new: JSON) async {
        if old["metadata", "resourceVersion"] == new["metadata", "resourceVersion"] { return }
        let labelsChanged = old.objectLabels != new.objectLabels
        if new.isBeingDeleted {
            await podDeleted(new)
            if labelsChanged { await podDeleted(old) }
            return
        }
        let oldRef = old.controllerRef, newRef = new.controllerRef
        let refChanged = oldRef != newRef
        if refChanged, let rs = resolve(oldRef, namespace: old.objectNamespace) {
            await queue.add(ObjectKey.of(rs))
        }
        if newRef != nil {
            guard let rs = resolve(newRef, namespace: new.objectNamespace) else { return }
            let key = ObjectKey.of(rs)
            await queue.add(key)
            let minReady = Int(rs["spec", "minReadySeconds"]?.int ?? 0)
            if minReady > 0, !PodState.isReady(old), PodState.isReady(new) {
                // Available once ready for minReadySeconds: look again then.
                await queue.addAfter(key, .seconds(minReady + 1))
            }
            return
        }
        if labelsChanged || refChanged {
            for rs in matching(new) { await queue.add(ObjectKey.of(rs)) }
        }
    }

    func podDeleted(_ pod: JSON) async {
        guard let rs = resolve(pod.controllerRef, namespace: pod.objectNamespace) else { return }
        let key = ObjectKey.of(rs)
        expectations.deletionObserved(key, ObjectKey.of(pod))
        await queue.add(key)
    }
}
