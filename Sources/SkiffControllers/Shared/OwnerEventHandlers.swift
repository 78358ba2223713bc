import SkiffClient
import SkiffModel

/// Pod events for a controller that owns Pods by controller reference (StatefulSet, DaemonSet):
/// queue the Pod's controller of `kind`, or for an orphan every owner whose selector matches it;
/// report creates and deletes to `expectations` when given.
struct OwnerEventHandlers: Sendable {
    let queue: WorkQueue<String>
    let owners: Lister
    let kind: String
    var expectations: ControllerExpectations? = nil

    var podHandler: EventHandler {
        let handlers = self
        return EventHandler(onAdd: { await handlers.podAdded($0) },
                            onUpdate: { await handlers.podUpdated(old: $0, new: $1) },
                            onDelete: { await handlers.podDeleted($0) })
    }

    func resolve(_ ref: JSON?, namespace: String) -> JSON? {
        guard let ref, ref["kind"]?.string == kind, let name = ref["name"]?.string,
              let owner = owners.get(namespace: namespace, name: name), owner.objectUID == ref["uid"]?.string else { return nil }
        return owner
    }

    func enqueueMatching(_ pod: JSON) async {
        let labels = pod.objectLabels
        for owner in owners.list(namespace: pod.objectNamespace) {
            let selector = owner.specSelector
            if !selector.isEverything && selector.matches(labels) { await queue.add(ObjectKey.of(owner)) }
        }
    }

    func podAdded(_ pod: JSON) async {
        if pod.isBeingDeleted {
            await podDeleted(pod)
            return
        }
        if let ref = pod.controllerRef {
            guard let owner = resolve(ref, namespace: pod.objectNamespace) else { return }
            expectations?.creationObserved(ObjectKey.of(owner))
            await queue.add(ObjectKey.of(owner))
            return
        }
        await enqueueMatching(pod)
    }

    func podUpdated(old: JSON, new: JSON) async {
        if old["metadata", "resourceVersion"] == new["metadata", "resourceVersion"] { return }
        if new.isBeingDeleted && !old.isBeingDeleted, let owner = resolve(new.controllerRef, namespace: new.objectNamespace) {
            expectations?.deletionObserved(ObjectKey.of(owner), ObjectKey.of(new))
        }
        let oldRef = old.controllerRef, newRef = new.controllerRef
        if oldRef != newRef, let owner = resolve(oldRef, namespace: old.objectNamespace) { await queue.add(ObjectKey.of(owner)) }
        if newRef != nil {
            if let owner = resolve(newRef, namespace: new.objectNamespace) { await queue.add(ObjectKey.of(owner)) }
        } else if oldRef != newRef || old.objectLabels != new.objectLabels {
            await enqueueMatching(new)
        }
    }

    func podDeleted(_ pod: JSON) async {
        guard let owner = resolve(pod.controllerRef, namespace: pod.objectNamespace) else { return }
        expectations?.deletionObserved(ObjectKey.of(owner), ObjectKey.of(pod))
        await queue.add(ObjectKey.of(owner))
    }
}
