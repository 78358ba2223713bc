import SkiffClient
import SkiffModel

extension StatefulSetController {
    /// Creates, deletes and replaces Pods as the type's documentation describes
    /// (updateStatefulSet); returns early where OrderedReady must wait.
    func sync(_ pass: inout StatefulSetPass) async throws {
        let set = pass.statefulSet
        let range = pass.start..<(pass.start + pass.replicaCount)
        // The lowest unhealthy ordinal may be deleted while scaling down.
        let unhealthy = (range.map { pass.pod($0) } + pass.condemned.reversed().map { Optional($0) })
            .first { pod in pod.map { !pass.isHealthy($0) } ?? true }
        let firstUnhealthy = unhealthy??.objectName

        for ordinal in range {
            guard let pod = pass.pod(ordinal) else {
                let (template, revision) = pass.versioned(ordinal)
                let created = try await createPod(set, template: template, ordinal: ordinal, revision: revision)
                if let created { pass.created(created) }
                if pass.monotonic || created == nil { return }
                continue
            }
            if StatefulSetPods.isTerminal(pod) && !pod.isBeingDeleted {
                // A failed or finished Pod is deleted and comes back on a later pass.
                try await deletePod(set, pod)
                pass.deleted(pod)
                if pass.monotonic { return }
                continue
            }
            if pod.isBeingDeleted {
                if pass.monotonic { return }
                continue
            }
            try await fixIdentityAndStorage(set, pod, ordinal: ordinal, condemned: false)
            if pass.monotonic && !pass.isHealthy(pod) { return }
        }

        for pod in pass.condemned {
            if pod.isBeingDeleted {
                if pass.monotonic { return }
                continue
            }
            if pass.monotonic && !pass.isHealthy(pod) && pod.objectName != firstUnhealthy { return }
            if let ordinal = StatefulSetPods.ordinal(of: pod, in: set) {
                try await fixIdentityAndStorage(set, pod, ordinal: ordinal, condemned: true)
            }
            try await deletePod(set, pod)
            pass.deleted(pod)
            if pass.monotonic { return }
        }

        guard pass.isRollingUpdate else { return }  // OnDelete: the user deletes, new Pods take the update revision
        let updateMin = pass.start + min(max(pass.partition, 0), pass.replicaCount)
        for ordinal in range.reversed() where ordinal >= updateMin {
            guard let pod = pass.pod(ordinal) else { return }
            if StatefulSetPods.revision(of: pod) != pass.update.objectName && !pod.isBeingDeleted {
                try await deletePod(set, pod)
                pass.deleted(pod)
                return
            }
            if !pass.isHealthy(pod) { return }
        }
    }

    /// Creates the Pod's missing claims, then the Pod. Returns nil if the Pod already exists
    /// (the cache is behind) or a claim is being deleted.
    func createPod(_ set: JSON, template: JSON, ordinal: Int, revision: String) async throws -> JSON? {
        let pod = StatefulSetPods.pod(set, template: template, ordinal: ordinal, revision: revision, apiVersion: Self.resource.apiVersion)
        guard try await createClaims(set, podName: pod.objectName, ordinal: ordinal) else { return nil }
        do {
            let created = try await client.create(.pods, namespace: set.objectNamespace, pod)
            podEvent(set, verb: "Create", pod: pod.objectName, error: nil)
            return created
        } catch let e as APIError where e.isAlreadyExists {
            return nil
        } catch {
            podEvent(set, verb: "Create", pod: pod.objectName, error: error)
            throw error
        }
    }

    /// Creates the claims of `ordinal` that do not exist; false while one is being deleted.
    func createClaims(_ set: JSON, podName: String, ordinal: Int) async throws -> Bool {
        for var claim in StatefulSetPods.claims(set, ordinal: ordinal) {
            if let existing = claims.get(namespace: set.objectNamespace, name: claim.objectName) {
                if existing.isBeingDeleted { return false }
                continue
            }
            if StatefulSetClaimRetention.whenDeleted(set) == "Delete" {
                claim["metadata", "ownerReferences"] = [StatefulSetClaimRetention.reference(to: set, apiVersion: "apps/v1", kind: "StatefulSet")]
            }
            do {
                _ = try await client.create(.persistentVolumeClaims, namespace: set.objectNamespace, claim)
                events.event(set, reason: "SuccessfulCreate",
                             message: "create Claim \(claim.objectName) Pod \(podName) in StatefulSet \(set.objectName) success")
            } catch let e as APIError where e.isAlreadyExists {
                continue
            } catch {
                events.event(set, type: .warning, reason: "FailedCreate",
                             message: "create Claim \(claim.objectName) for Pod \(podName) in StatefulSet \(set.objectName) failed error: \(Self.message(error))")
                throw error
            }
        }
        return true
    }

    /// Puts back identity labels a user removed, creates missing claims, and points the claims'
    /// owner references where the retention policy says.
    func fixIdentityAndStorage(_ set: JSON, _ pod: JSON, ordinal: Int, condemned: Bool) async throws {
        if !StatefulSetPods.identityLabelsMatch(pod, set, ordinal: ordinal) {
            let patch: JSON = ["metadata": ["labels": [StatefulSetPods.podNameLabel: .string(pod.objectName),
                                                       StatefulSetPods.podIndexLabel: .string(String(ordinal))]]]
            _ = try await client.patch(.pods, namespace: pod.objectNamespace, name: pod.objectName, type: .merge, patch)
            podEvent(set, verb: "Update", pod: pod.objectName, error: nil)
        }
        if !condemned { _ = try await createClaims(set, podName: pod.objectName, ordinal: ordinal) }
        try await StatefulSetClaimRetention(client: client, claims: claims)
            .apply(set, pod: pod, ordinal: ordinal, condemned: condemned)
    }

    func deletePod(_ set: JSON, _ pod: JSON) async throws {
        do {
            _ = try await client.delete(.pods, namespace: pod.objectNamespace, name: pod.objectName,
                                        options: .init(preconditionUID: pod.objectUID))
            podEvent(set, verb: "Delete", pod: pod.objectName, error: nil)
        } catch let e as APIError where e.isNotFound {
            return
        } catch {
            podEvent(set, verb: "Delete", pod: pod.objectName, error: error)
            throw error
        }
    }

    /// `SuccessfulCreate`: `create Pod web-0 in StatefulSet web successful` (recordPodEvent).
    func podEvent(_ set: JSON, verb: String, pod: String, error: (any Error)?) {
        if let error {
            events.event(set, type: .warning, reason: "Failed\(verb)",
                         message: "\(verb.lowercased()) Pod \(pod) in StatefulSet \(set.objectName) failed error: \(Self.message(error))")
        } else {
            events.event(set, reason: "Successful\(verb)", message: "\(verb.lowercased()) Pod \(pod) in StatefulSet \(set.objectName) successful")
        }
    }

    static func message(_ error: any Error) -> String { (error as? APIError)?.message ?? "\(error)" }

    /// Writes `status` with `observedGeneration` unless the set already has it; on a conflict
    /// reads the set again and retries once.
    func updateStatus(_ set: JSON, _ status: JSON) async throws {
        var status = status
        status["observedGeneration"] = .int(set.objectGeneration)
        if set["status"] == status { return }
        var object = set
        object["status"] = status
        do {
            _ = try await client.updateStatus(Self.resource, object)
        } catch let error as APIError where error.isConflict {
            var fresh = try await client.get(Self.resource, namespace: set.objectNamespace, name: set.objectName)
            guard fresh.objectUID == set.objectUID else { throw error }
            fresh["status"] = status
            _ = try await client.updateStatus(Self.resource, fresh)
        }
    }
}
