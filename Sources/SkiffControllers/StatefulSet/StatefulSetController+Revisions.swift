import SkiffClient
import SkiffModel

extension StatefulSetController {
    /// The current and update revisions of `set` (getStatefulSetRevisions): the update revision is
    /// the one holding the set's template, created (numbered next) if none does, renumbered next
    /// if an older one does (a rollback); the current revision is the one named in
    /// `status.currentRevision`, else the update revision. Returns the collision count used.
    func revisions(_ set: JSON, _ revisions: [JSON]) async throws -> (current: JSON, update: JSON, collisionCount: Int64) {
        let history = ControllerHistory.sorted(revisions)
        var collisionCount = set["status", "collisionCount"]?.int ?? 0
        let data = ControllerHistory.patch(of: set)
        let next = numbers.next(for: set.objectUID, after: history)
        let probe: JSON = ["data": data]
        let update: JSON
        if let equal = history.last(where: { ControllerHistory.sameData($0, probe) }) {
            if ControllerHistory.number(equal) >= next - 1 {
                update = equal
            } else {
                var bumped = equal
                bumped["revision"] = .int(next)
                update = try await client.update(.controllerRevisions, bumped)
            }
        } else {
            update = try await createRevision(set, data: data, number: next, collisionCount: &collisionCount)
        }
        numbers.record(ControllerHistory.number(update), for: set.objectUID)
        let currentName = set["status", "currentRevision"]?.string
        let current = history.first { $0.objectName == currentName } ?? update
        return (current, update, collisionCount)
    }

    /// Creates a revision; a different revision already holding the name raises the collision
    /// count and tries the next name (history.CreateControllerRevision).
    func createRevision(_ set: JSON, data: JSON, number: Int64, collisionCount: inout Int64) async throws -> JSON {
        let labels = set["spec", "template", "metadata", "labels"]?.stringMap ?? [:]
        while true {
            let hash = PodTemplateHash.compute(data, collisionCount: collisionCount == 0 ? nil : collisionCount)
            let revision = ControllerHistory.make(owner: set, resource: Self.resource, labels: labels, data: data,
                                                  number: number, hash: hash)
            do {
                return try await client.create(.controllerRevisions, namespace: set.objectNamespace, revision)
            } catch let e as APIError where e.isAlreadyExists {
                let existing = try await client.get(.controllerRevisions, namespace: set.objectNamespace, name: revision.objectName)
                if existing.controllerRef?["uid"]?.string == set.objectUID, ControllerHistory.sameData(existing, revision) {
                    return existing
                }
                collisionCount += 1
            }
        }
    }

    /// Deletes revisions beyond `revisionHistoryLimit` that neither the current nor the update
    /// revision is and no live Pod carries (truncateHistory).
    func truncateHistory(_ set: JSON, pods: [JSON], revisions: [JSON], current: JSON, update: JSON) async throws {
        let live = Set(pods.filter { !$0.isBeingDeleted }.compactMap { $0.objectLabels[ControllerHistory.podRevisionLabel] })
        let candidates = revisions.filter { r in
            r.objectName != current.objectName && r.objectName != update.objectName && !live.contains(r.objectName)
        }
        let limit = Int(set["spec", "revisionHistoryLimit"]?.int ?? 10)
        try await ControllerHistory.truncate(candidates, limit: limit, client: client)
    }
}
