import SkiffClient
import SkiffModel

extension ReplicaSetController {
    /// Creates or deletes Pods so that `pods` (the active Pods the ReplicaSet owns) number
    /// `spec.replicas`, at most `burstReplicas` in one pass, recording what the cache must see.
    func manageReplicas(_ pods: [JSON], _ rs: JSON, key: String) async throws {
        let diff = pods.count - rs.specReplicas
        if diff < 0 {
            let count = min(-diff, configuration.burstReplicas)
            expectations.expectCreations(key, count)
            let template = Self.podFromTemplate(rs)
            let (created, error) = await Self.slowStartBatch(count: count, initialBatch: 1) {
                try await createPod(template, for: rs, key: key)
            }
            // Creations never attempted will never be observed.
            for _ in 0..<(count - created) { expectations.creationObserved(key) }
            if let error { throw error }
        } else if diff > 0 {
            let count = min(diff, configuration.burstReplicas)
            let victims = PodDeletionOrder(now: wallClock()).podsToDelete(pods, related: relatedPods(rs), count: count)
            expectations.expectDeletions(key, victims.map(ObjectKey.of))
            let errors = await withTaskGroup(of: (any Error)?.self) { group in
                for pod in victims {
                    group.addTask { await deletePod(pod, of: rs, key: key) }
                }
                var errors: [any Error] = []
                for await case let error? in group { errors.append(error) }
                return errors
            }
            if let first = errors.first { throw first }
        }
    }

    /// Creates one Pod; a create refused because the namespace is terminating counts as done.
    func createPod(_ pod: JSON, for rs: JSON, key: String) async throws {
        do {
            let created = try await client.create(.pods, namespace: rs.objectNamespace, pod)
            events.event(rs, reason: "SuccessfulCreate", message: "Created pod: \(created.objectName)")
        } catch let error as APIError where error.isNamespaceTerminating {
            expectations.creationObserved(key)
        } catch {
            events.event(rs, type: .warning, reason: "FailedCreate", message: "Error creating: \((error as? APIError)?.message ?? "\(error)")")
            throw error
        }
    }

    /// Deletes one Pod; returns the error unless the Pod was already gone.
    func deletePod(_ pod: JSON, of rs: JSON, key: String) async -> (any Error)? {
        do {
            try await client.delete(.pods, namespace: pod.objectNamespace, name: pod.objectName)
            events.event(rs, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.objectName)")
            return nil
        } catch {
            // The informer will not see this deletion.
            expectations.deletionObserved(key, ObjectKey.of(pod))
            if let e = error as? APIError, e.isNotFound { return nil }
            events.event(rs, type: .warning, reason: "FailedDelete", message: "Error deleting: \((error as? APIError)?.message ?? "\(error)")")
            return error
        }
    }

    /// The Pods of every ReplicaSet controlled by the same owner as `rs` (its Deployment), or of
    /// `rs` alone: spreading them over nodes decides which Pod goes first.
    func relatedPods(_ rs: JSON) -> [JSON] {
        var owners: Set<String> = [rs.objectUID]
        if let controller = rs.controllerRef?["uid"]?.string {
            for other in replicaSets.list(namespace: rs.objectNamespace) where other.controllerRef?["uid"]?.string == controller {
                owners.insert(other.objectUID)
            }
        }
        return pods.list(namespace: rs.objectNamespace).filter { pod in
            pod.controllerRef?["uid"]?.string.map(owners.contains) ?? false
        }
    }

    /// The Pod the ReplicaSet creates: the template's labels, annotations, finalizers and spec,
    /// `generateName: <rs>-`, and the ReplicaSet as its controller (controller.GetPodFromTemplate).
    static func podFromTemplate(_ rs: JSON) -> JSON {
        let template = rs["spec", "template"] ?? [:]
        var meta: JSON = ["generateName": .string(rs.objectName + "-"), "namespace": .string(rs.objectNamespace),
                          "ownerReferences": [JSON.controllerReference(to: rs, apiVersion: resource.apiVersion, kind: resource.kind)]]
        for field in ["labels", "annotations", "finalizers"] {
            if let value = template["metadata", field], !value.isNull { meta[field] = value }
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template["spec"] ?? [:]]
    }

    /// Runs `count` calls of `body` in batches of `initialBatch`, then twice as many each time, the
    /// calls of a batch concurrently; stops after the first batch with a failure (so a quota or
    /// admission refusal costs one call, not hundreds). Returns the successes and the first error.
    static func slowStartBatch(count: Int, initialBatch: Int,
                               _ body: @escaping @Sendable () async throws -> Void) async -> (successes: Int, error: (any Error)?) {
        var remaining = count
        var successes = 0
        var batch = min(remaining, initialBatch)
        while batch > 0 {
            let (ok, error) = await withTaskGroup(of: (any Error)?.self) { group in
                for _ in 0..<batch {
                    group.addTask {
                        do { try await body(); return nil } catch { return error }
                    }
                }
                var ok = 0
                var first: (any Error)?
                for await result in group {
                    if let result { first = first ?? result } else { ok += 1 }
                }
                return (ok, first)
            }
            successes += ok
            if let error { return (successes, error) }
            remaining -= batch
            batch = min(2 * batch, remaining)
        }
        return (successes, nil)
    }
}
