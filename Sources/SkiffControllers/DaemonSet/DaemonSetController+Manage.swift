import SkiffClient
import SkiffModel

extension DaemonSetController {
    /// The DaemonSet's Pods by the node they are for (Pods for no node are left out).
    static func podsByNode(_ pods: [JSON]) -> [String: [JSON]] {
        var out: [String: [JSON]] = [:]
        for pod in pods {
            if let node = DaemonSetNodes.targetNode(pod) { out[node, default: []].append(pod) }
        }
        for (node, list) in out { out[node] = list.sorted { $0.creationSeconds < $1.creationSeconds } }
        return out
    }

    /// Creates Pods on eligible nodes without one, deletes failed Pods, extra Pods and Pods on
    /// nodes that are gone or where they may not continue to run (manage, podsShouldBeOnNode).
    func manage(_ ds: JSON, _ pods: [JSON], nodes: [JSON], hash: String, key: String) async throws {
        var byNode = Self.podsByNode(pods)
        var create: [String] = []
        var delete: [JSON] = []
        let generation = DaemonSetNodes.templateGeneration(ds)
        let surging = DaemonSetRollout.limits(ds, desired: nodes.count).surge > 0
        for node in nodes {
            let name = node.objectName
            // Pods that finished and are being deleted no longer hold the node.
            let onNode = (byNode.removeValue(forKey: name) ?? []).filter { !($0.isBeingDeleted && Self.isTerminal($0)) }
            let (run, continueRunning) = DaemonSetNodes.shouldRun(ds, on: node)
            if run && onNode.isEmpty {
                create.append(name)
                continue
            }
            var live: [JSON] = []
            for pod in onNode where !pod.isBeingDeleted {
                if pod["status", "phase"]?.string == "Failed" {
                    events.event(ds, type: .warning, reason: "FailedDaemonPod",
                                 message: "Found failed daemon pod \(pod.objectNamespace)/\(pod.objectName) on node \(name), will try to kill it")
                    delete.append(pod)
                } else if pod["status", "phase"]?.string == "Succeeded" {
                    delete.append(pod)
                } else {
                    live.append(pod)
                }
            }
            if !continueRunning {
                delete += live
                continue
            }
            guard live.count > 1 else { continue }
            if surging, let split = DaemonSetRollout.split(live, hash: hash, generation: generation), split.new != nil, split.old != nil {
                continue  // the rolling update removes the old one once the new one is available
            }
            // Keep the oldest (of the current template, when surging), delete the rest.
            let keep = surging ? (live.first { DaemonSetNodes.isUpdated($0, hash: hash, generation: generation) } ?? live[0]) : live[0]
            delete += live.filter { $0.objectUID != keep.objectUID }
        }
        // Pods for nodes that no longer exist.
        for pods in byNode.values { delete += pods.filter { !$0.isBeingDeleted } }
        try await syncNodes(ds, delete: delete, create: create, hash: hash, key: key)
    }

    /// Deletes `delete` and creates a Pod on each node of `create` (at most `burstReplicas`, in
    /// slow-start batches), recording what the cache must see.
    func syncNodes(_ ds: JSON, delete: [JSON], create: [String], hash: String, key: String) async throws {
        let create = Array(create.prefix(configuration.burstReplicas))
        if create.isEmpty && delete.isEmpty { return }
        expectations.expect(key, creations: create.count, deletions: delete.map(ObjectKey.of))
        var firstError: (any Error)?
        if !create.isEmpty {
            // Slow start: batches of 1, 2, 4, ... Pods; a failing batch stops the rest.
            var created = 0, start = 0, batch = 1
            while start < create.count, firstError == nil {
                let nodes = create[start..<min(create.count, start + batch)]
                let errors = await withTaskGroup(of: (any Error)?.self) { group in
                    for node in nodes {
                        group.addTask {
                            do { try await createPod(ds, node: node, hash: hash, key: key); return nil } catch { return error }
                        }
                    }
                    var errors: [any Error] = []
                    for await case let error? in group { errors.append(error) }
                    return errors
                }
                created += nodes.count - errors.count
                firstError = errors.first
                start += nodes.count
                batch *= 2
            }
            for _ in 0..<(create.count - created) { expectations.creationObserved(key) }
        }
        for pod in delete {
            do {
                _ = try await client.delete(.pods, namespace: pod.objectNamespace, name: pod.objectName,
                                            options: .init(preconditionUID: pod.objectUID))
                events.event(ds, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.objectName)")
            } catch {
                expectations.deletionObserved(key, ObjectKey.of(pod))
                if let e = error as? APIError, e.isNotFound { continue }
                events.event(ds, type: .warning, reason: "FailedDelete", message: "Error deleting: \(Self.message(error))")
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }

    func createPod(_ ds: JSON, node: String, hash: String, key: String) async throws {
        do {
            let created = try await client.create(.pods, namespace: ds.objectNamespace, DaemonSetNodes.pod(ds, node: node, hash: hash))
            events.event(ds, reason: "SuccessfulCreate", message: "Created pod: \(created.objectName)")
        } catch let e as APIError where e.isNamespaceTerminating {
            expectations.creationObserved(key)
        } catch {
            events.event(ds, type: .warning, reason: "FailedCreate", message: "Error creating: \(Self.message(error))")
            throw error
        }
    }

    static func isTerminal(_ pod: JSON) -> Bool {
        let phase = pod["status", "phase"]?.string
        return phase == "Failed" || phase == "Succeeded"
    }

    static func message(_ error: any Error) -> String { (error as? APIError)?.message ?? "\(error)" }
}

extension ControllerExpectations {
    /// Expects `creations` creates and the deletion of `deletions`, added to what is still expected.
    func expect(_ key: String, creations: Int, deletions: [String]) {
        let now = clock.now()
        records.withLock { r in
            var record = r[key] ?? Record(adds: 0, deleteKeys: [], setAt: now)
            if record.adds < 0 { record.adds = 0 }
            record.adds += creations
            record.deleteKeys.formUnion(deletions)
            record.setAt = now
            r[key] = record
        }
    }
}
