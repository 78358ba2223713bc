import SkiffClient
import SkiffModel

extension GarbageCollector {
    /// One pass over the object with `uid`; see the type's documentation. Throws (and is retried
    /// with back-off) when the API server refused a lookup or a write.
    public func reconcile(_ uid: String) async throws {
        guard var node = graph.node(uid) else { return }
        // The informer's cache is at least as new as the graph: act on what it holds.
        if let informer = monitors.withLock({ $0[node.resource] }) {
            guard let cached = informer.lister.get(namespace: node.namespace, name: node.name),
                  cached["metadata", "uid"]?.string == uid else {
                await observeDeletion(["metadata": ["uid": .string(uid)]])
                return
            }
            node = OwnerGraph.Node(resource: node.resource, object: cached)
        }
        if node.beingDeleted {
            if node.orphaningDependents { try await orphanDependents(of: node) }
            if node.deletingDependents { try await deleteDependents(of: node) }
            return
        }
        guard !node.owners.isEmpty else { return }
        var owners: [(uid: String, state: OwnerState)] = []
        for owner in node.owners { owners.append((owner.uid, try await state(of: owner, for: node))) }
        switch Self.plan(finalizers: node.finalizers, owners: owners, hasDependents: graph.hasDependents(uid)) {
        case .none:
            return
        case .removeOwnerReferences(let uids):
            logger.debug("removing references to absent owners", metadata: ["object": "\(node.description)", "owners": "\(uids.sorted())"])
            try await removeOwnerReferences(uids, from: node)
        case .delete(let propagation):
            logger.info("deleting object", metadata: ["object": "\(node.description)", "propagation": "\(propagation.rawValue)"])
            do {
                try await client.delete(node.resource, namespace: node.namespace, name: node.name,
                                        options: .init(propagationPolicy: propagation, preconditionUID: uid))
            } catch let e as APIError where e.isNotFound || e.isConflict {
                return  // already gone, or replaced by another object of the same name
            }
        }
    }

    /// Whether `owner` exists: from the graph when it holds the UID, else from the API server.
    func state(of owner: OwnerGraph.Reference, for dependent: OwnerGraph.Node) async throws -> OwnerState {
        if let node = graph.node(owner.uid) { return node.deletingDependents ? .waitingForDependentsDeletion : .solid }
        if graph.isKnownAbsent(owner.uid) { return .dangling }
        guard let resource = resource(group: owner.group, kind: owner.kind) else {
            throw GarbageCollectionError(message: "no resource serves kind \(owner.kind) in group \"\(owner.group)\" (owner of \(dependent.description))")
        }
        // A namespaced owner of a cluster-scoped object cannot exist (Kubernetes reports OwnerRefInvalidNamespace).
        if resource.namespaced && dependent.namespace == nil { return .dangling }
        do {
            let live = try await client.get(resource, namespace: dependent.namespace, name: owner.name)
            guard live["metadata", "uid"]?.string == owner.uid else {
                graph.markAbsent(owner.uid)
                return .dangling
            }
            return OwnerGraph.Node(resource: resource, object: live).deletingDependents ? .waitingForDependentsDeletion : .solid
        } catch let e as APIError where e.isNotFound {
            graph.markAbsent(owner.uid)
            return .dangling
        }
    }

    /// Foreground deletion: queue every dependent (each sees its owner waiting and is deleted);
    /// once none that blocks the owner is left, remove `foregroundDeletion` from it.
    func deleteDependents(of owner: OwnerGraph.Node) async throws {
        let dependents = graph.dependents(of: owner.uid)
        let blocking = dependents.filter { d in d.owners.contains { $0.uid == owner.uid && $0.blockOwnerDeletion } }
        if blocking.isEmpty {
            logger.info("dependents deleted; removing finalizer", metadata: ["object": "\(owner.description)", "finalizer": "\(Self.foregroundFinalizer)"])
            try await removeFinalizer(Self.foregroundFinalizer, from: owner)
            return
        }
        for dependent in dependents where !dependent.beingDeleted { await queue.add(dependent.uid) }
    }

    /// Orphan deletion: remove the references to `owner` from its dependents, then `orphan` from it.
    func orphanDependents(of owner: OwnerGraph.Node) async throws {
        for dependent in graph.dependents(of: owner.uid) {
            try await removeOwnerReferences([owner.uid], from: dependent)
        }
        logger.info("dependents orphaned; removing finalizer", metadata: ["object": "\(owner.description)", "finalizer": "\(Self.orphanFinalizer)"])
        try await removeFinalizer(Self.orphanFinalizer, from: owner)
    }

    func removeOwnerReferences(_ uids: Set<String>, from node: OwnerGraph.Node) async throws {
        try await patchMetadata(of: node) { object in
            let refs = object["metadata", "ownerReferences"]?.array ?? []
            let kept = refs.filter { !uids.contains($0["uid"]?.string ?? "") }
            guard kept.count != refs.count else { return nil }
            return ["ownerReferences": kept.isEmpty ? .null : .array(kept)]
        }
    }

    func removeFinalizer(_ finalizer: String, from node: OwnerGraph.Node) async throws {
        try await patchMetadata(of: node) { object in
            let finalizers = object["metadata", "finalizers"]?.array ?? []
            let kept = finalizers.filter { $0.string != finalizer }
            guard kept.count != finalizers.count else { return nil }
            return ["finalizers": kept.isEmpty ? .null : .array(kept)]
        }
    }

    /// Merge-patches `metadata` of the object with `change(current)` (nil: nothing to do), with the
    /// current resourceVersion as a precondition; starts from the informer's copy and re-reads on
    /// conflict. An object that is gone or has another UID is left alone.
    func patchMetadata(of node: OwnerGraph.Node, _ change: (JSON) -> JSON?) async throws {
        var object = monitors.withLock { $0[node.resource] }?.lister.get(namespace: node.namespace, name: node.name)
        for attempt in 0..<5 {
            if object == nil || attempt > 0 {
                do {
                    object = try await client.get(node.resource, namespace: node.namespace, name: node.name)
                } catch let e as APIError where e.isNotFound {
                    return
                }
            }
            guard let current = object, current["metadata", "uid"]?.string == node.uid else { return }
            guard var metadata = change(current) else { return }
            metadata["resourceVersion"] = current["metadata", "resourceVersion"]
            do {
                _ = try await client.patch(node.resource, namespace: node.namespace, name: node.name, type: .merge, ["metadata": metadata])
                return
            } catch let e as APIError where e.isNotFound {
                return
            } catch let e as APIError where e.isConflict && attempt < 4 {
                continue
            }
        }
    }
}
