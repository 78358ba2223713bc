import SkiffClient
import SkiffModel

extension DeploymentController {
    /// The oldest ReplicaSet whose template is the Deployment's (FindNewReplicaSet).
    static func findNew(_ d: JSON, _ rsList: [JSON]) -> JSON? {
        let template = d["spec", "template"] ?? [:]
        return ReplicaSetOrder.byCreation(rsList).first { PodTemplateHash.equalIgnoringHash($0["spec", "template"] ?? [:], template) }
    }

    /// The new ReplicaSet (made when `create` and missing) and all the old ones, with revision
    /// annotations brought up to date (getAllReplicaSetsAndSyncRevision).
    func replicaSetsAndSyncRevision(_ d: inout JSON, _ rsList: [JSON], create: Bool) async throws -> (new: JSON?, old: [JSON]) {
        let existing = Self.findNew(d, rsList)
        let old = rsList.filter { $0.objectUID != existing?.objectUID }
        let new = try await newReplicaSet(&d, existing: existing, old: old, create: create)
        return (new, old)
    }

    /// getNewReplicaSet: syncs the existing new ReplicaSet's annotations and the Deployment's
    /// revision, or creates the new ReplicaSet.
    func newReplicaSet(_ d: inout JSON, existing: JSON?, old: [JSON], create: Bool) async throws -> JSON? {
        let newRevision = DeploymentAnnotations.maxRevision(old) + 1
        if var rs = existing {
            var changed = DeploymentAnnotations.setNewReplicaSetAnnotations(d, &rs, newRevision: newRevision, exists: true)
            let minReady = d["spec", "minReadySeconds"]?.int ?? 0
            if (rs["spec", "minReadySeconds"]?.int ?? 0) != minReady {
                rs["spec", "minReadySeconds"] = .int(minReady)
                changed = true
            }
            if changed {
                // The ReplicaSet's update brings the Deployment back here to copy its revision.
                return try await client.update(.replicaSets, rs)
            }
            var status = d["status"] ?? [:]
            if RolloutMath.progressDeadline(d) != nil, DeploymentConditions.get(status, DeploymentConditions.progressing) == nil {
                DeploymentConditions.set(&status, DeploymentConditions.make(
                    DeploymentConditions.progressing, "True", reason: DeploymentConditions.foundNewReplicaSet,
                    message: "Found new replica set \"\(rs.objectName)\"", now: wallClock()))
            }
            try await write(&d, revision: rs.objectAnnotations[DeploymentAnnotations.revision], status: status)
            return rs
        }
        guard create else { return nil }

        let collisionCount = d["status", "collisionCount"]?.int
        var template = d["spec", "template"] ?? [:]
        let hash = PodTemplateHash.compute(template, collisionCount: collisionCount)
        template["metadata", "labels", PodTemplateHash.label] = .string(hash)
        var selector = d["spec", "selector"] ?? [:]
        selector["matchLabels", PodTemplateHash.label] = .string(hash)
        let name = "\(d.objectName)-\(hash)"
        var rs: JSON = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": .string(name), "namespace": .string(d.objectNamespace),
                         "labels": template["metadata", "labels"] ?? [:],
                         "ownerReferences": [JSON.controllerReference(to: d, apiVersion: Self.resource.apiVersion, kind: Self.resource.kind)]],
            "spec": ["replicas": 0, "minReadySeconds": d["spec", "minReadySeconds"] ?? 0, "selector": selector, "template": template],
        ]
        let replicas = RolloutMath.newReplicaSetReplicas(d, all: old + [rs], new: rs)
        rs["spec", "replicas"] = .int(Int64(replicas))
        _ = DeploymentAnnotations.setNewReplicaSetAnnotations(d, &rs, newRevision: newRevision, exists: false)

        var status = d["status"] ?? [:]
        let created: JSON
        var alreadyExisted = false
        do {
            created = try await client.create(.replicaSets, namespace: d.objectNamespace, rs)
        } catch let error as APIError where error.isAlreadyExists {
            let found = try await client.get(.replicaSets, namespace: d.objectNamespace, name: name)
            guard found.controllerRef?["uid"]?.string == d.objectUID,
                  PodTemplateHash.equalIgnoringHash(found["spec", "template"] ?? [:], d["spec", "template"] ?? [:]) else {
                // Another template has this hash: the next name comes from a higher collision count.
                status["collisionCount"] = .int((collisionCount ?? 0) + 1)
                try await write(&d, revision: nil, status: status)
                throw error
            }
            created = found  // made by an earlier pass the cache has not shown yet
            alreadyExisted = true
        } catch {
            if RolloutMath.progressDeadline(d) != nil {
                DeploymentConditions.set(&status, DeploymentConditions.make(
                    DeploymentConditions.progressing, "False", reason: "ReplicaSetCreateError",
                    message: "Failed to create new replica set \"\(name)\": \((error as? APIError)?.message ?? "\(error)")", now: wallClock()))
                try? await write(&d, revision: nil, status: status)
            }
            events.event(d, type: .warning, reason: "FailedCreate", message: "Failed to create new replica set \"\(name)\"")
            throw error
        }
        if !alreadyExisted && replicas > 0 {
            events.event(d, reason: "ScalingReplicaSet", message: "Scaled up replica set \(name) from 0 to \(replicas)")
        }
        if !alreadyExisted && RolloutMath.progressDeadline(d) != nil {
            DeploymentConditions.set(&status, DeploymentConditions.make(
                DeploymentConditions.progressing, "True", reason: DeploymentConditions.newReplicaSetCreated,
                message: "Created new replica set \"\(name)\"", now: wallClock()))
        }
        try await write(&d, revision: String(newRevision), status: status)
        return created
    }

    /// Writes the Deployment's revision annotation (a main-resource update) and its status (the
    /// status subresource), each only if it changed; `d` becomes what was stored.
    func write(_ d: inout JSON, revision: String?, status: JSON) async throws {
        if let revision, d.objectAnnotations[DeploymentAnnotations.revision] != revision {
            var updated = d
            updated["metadata", "annotations", DeploymentAnnotations.revision] = .string(revision)
            let stored = try await client.update(Self.resource, updated)
            d["metadata"] = stored["metadata"]
        }
        if (d["status"] ?? [:]) != status {
            var updated = d
            updated["status"] = status
            let stored = try await client.updateStatus(Self.resource, updated)
            d["metadata"] = stored["metadata"]
            d["status"] = stored["status"]
        }
    }
}
