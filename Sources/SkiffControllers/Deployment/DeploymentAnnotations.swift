import SkiffModel

/// The annotations by which a Deployment tracks its ReplicaSets (deployment util).
///
/// - `deployment.kubernetes.io/revision` on each ReplicaSet (and on the Deployment: its new
///   ReplicaSet's) numbers the templates in rollout order; `rollout history` lists them, and a
///   ReplicaSet that becomes new again (`rollout undo`) takes the next number, keeping its old
///   ones in `deployment.kubernetes.io/revision-history`.
/// - `deployment.kubernetes.io/desired-replicas` and `max-replicas` record the Deployment's size
///   (replicas, and replicas + maxSurge) when it last scaled the ReplicaSet; a difference from the
///   Deployment's `spec.replicas` marks a scaling event, and the ratio drives proportional scaling.
enum DeploymentAnnotations {
    static let revision = "deployment.kubernetes.io/revision"
    static let revisionHistory = "deployment.kubernetes.io/revision-history"
    static let desiredReplicas = "deployment.kubernetes.io/desired-replicas"
    static let maxReplicas = "deployment.kubernetes.io/max-replicas"
    static let rollbackTo = "deprecated.deployment.rollback.to"
    static let lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
    /// Deployment annotations not copied to its new ReplicaSet.
    static let notCopied: Set<String> = [lastApplied, revision, revisionHistory, desiredReplicas, maxReplicas, rollbackTo]
    /// The longest `revision-history` kept, in characters.
    static let maxRevisionHistoryLength = 2000

    /// The object's revision; 0 when absent or not a number.
    static func revision(of object: JSON) -> Int64 {
        object["metadata", "annotations", revision]?.string.flatMap { Int64($0) } ?? 0
    }

    static func maxRevision(_ replicaSets: [JSON]) -> Int64 {
        replicaSets.map { revision(of: $0) }.max() ?? 0
    }

    static func desiredReplicas(of rs: JSON) -> Int? {
        rs["metadata", "annotations", desiredReplicas]?.string.flatMap { Int($0) }
    }

    static func maxReplicas(of rs: JSON) -> Int? {
        rs["metadata", "annotations", maxReplicas]?.string.flatMap { Int($0) }
    }

    static func replicasNeedUpdate(_ rs: JSON, desired: Int, max: Int) -> Bool {
        let a = rs.objectAnnotations
        return a[desiredReplicas] != String(desired) || a[maxReplicas] != String(max)
    }

    /// Sets `desired-replicas` and `max-replicas`; returns whether they changed.
    @discardableResult
    static func setReplicas(_ rs: inout JSON, desired: Int, max: Int) -> Bool {
        guard replicasNeedUpdate(rs, desired: desired, max: max) else { return false }
        rs["metadata", "annotations", desiredReplicas] = .string(String(desired))
        rs["metadata", "annotations", maxReplicas] = .string(String(max))
        return true
    }

    /// Brings the annotations of the Deployment's new ReplicaSet up to date (SetNewReplicaSetAnnotations):
    /// copies the Deployment's own annotations, raises the revision to `newRevision` (keeping the
    /// old one in the history), and for a ReplicaSet about to be created sets the replica
    /// annotations. Returns whether anything changed.
    static func setNewReplicaSetAnnotations(_ deployment: JSON, _ rs: inout JSON, newRevision: Int64, exists: Bool) -> Bool {
        var changed = false
        var annotations = rs.objectAnnotations
        for (k, v) in deployment.objectAnnotations where !notCopied.contains(k) && annotations[k] != v {
            annotations[k] = v
            changed = true
        }
        let oldText = annotations[revision]
        let oldRevision: Int64
        if let oldText {
            guard let parsed = Int64(oldText) else { return false }
            oldRevision = parsed
        } else {
            oldRevision = 0
        }
        if oldRevision < newRevision {
            annotations[revision] = String(newRevision)
            changed = true
            if let oldText {
                // Rolling back to this ReplicaSet: remember the revisions it had.
                var history = (annotations[revisionHistory] ?? "").split(separator: ",").map(String.init)
                history.append(oldText)
                while history.joined(separator: ",").count > maxRevisionHistoryLength, history.count > 1 { history.removeFirst() }
                annotations[revisionHistory] = history.joined(separator: ",")
            }
        }
        if !exists {
            let desired = deployment.specReplicas
            annotations[desiredReplicas] = String(desired)
            annotations[maxReplicas] = String(desired + RolloutMath.maxSurge(deployment))
            changed = true
        }
        if changed { rs["metadata", "annotations"] = JSON(annotations) }
        return changed
    }
}
