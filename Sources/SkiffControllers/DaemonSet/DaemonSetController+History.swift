import SkiffClient
import SkiffModel

extension DaemonSetController {
    /// The revision holding the DaemonSet's template, made (numbered next) or renumbered next if
    /// needed, and the other revisions (constructHistory). A revision is named `<ds>-<hash>`
    /// and labelled `controller-revision-hash: <hash>`, the hash of the template (and
    /// `collisionCount`), which its Pods carry too.
    func constructHistory(_ ds: JSON, _ history: [JSON]) async throws -> (current: JSON, old: [JSON]) {
        let sorted = ControllerHistory.sorted(history)
        let probe: JSON = ["data": ControllerHistory.patch(of: ds)]
        let next = numbers.next(for: ds.objectUID, after: sorted)
        let matching = sorted.filter { ControllerHistory.sameData($0, probe) }
        var current: JSON
        if let newest = matching.last {
            current = newest
            for duplicate in matching.dropLast() {
                _ = try? await client.delete(.controllerRevisions, namespace: duplicate.objectNamespace, name: duplicate.objectName)
            }
            if current.objectLabels[ControllerHistory.podRevisionLabel] == nil {
                current["metadata", "labels", ControllerHistory.podRevisionLabel] =
                    .string(PodTemplateHash.compute(ds["spec", "template"] ?? [:], collisionCount: ds["status", "collisionCount"]?.int))
                current = try await client.update(.controllerRevisions, current)
            }
            if ControllerHistory.number(current) < next - 1 {
                current["revision"] = .int(next)
                current = try await client.update(.controllerRevisions, current)
            }
        } else {
            current = try await snapshot(ds, number: next)
        }
        numbers.record(ControllerHistory.number(current), for: ds.objectUID)
        let old = sorted.filter { r in !matching.contains { $0.objectUID == r.objectUID } }
        return (current, old)
    }

    /// Creates the revision of the current template; a different revision holding the name
    /// raises `status.collisionCount` and fails, so the next pass uses a new name.
    func snapshot(_ ds: JSON, number: Int64) async throws -> JSON {
        let collisionCount = ds["status", "collisionCount"]?.int
        let hash = PodTemplateHash.compute(ds["spec", "template"] ?? [:], collisionCount: collisionCount)
        let revision = ControllerHistory.make(owner: ds, resource: Self.resource, labels: ds["spec", "template", "metadata", "labels"]?.stringMap ?? [:],
                                              data: ControllerHistory.patch(of: ds), number: number, hash: hash,
                                              hashLabel: ControllerHistory.podRevisionLabel)
        do {
            return try await client.create(.controllerRevisions, namespace: ds.objectNamespace, revision)
        } catch let e as APIError where e.isAlreadyExists {
            let existing = try await client.get(.controllerRevisions, namespace: ds.objectNamespace, name: revision.objectName)
            if existing.controllerRef?["uid"]?.string == ds.objectUID, ControllerHistory.sameData(existing, revision) { return existing }
            var fresh = try await client.get(Self.resource, namespace: ds.objectNamespace, name: ds.objectName)
            fresh["status", "collisionCount"] = .int((collisionCount ?? 0) + 1)
            _ = try await client.updateStatus(Self.resource, fresh)
            throw e
        }
    }

    /// Deletes the oldest revisions no Pod uses beyond `revisionHistoryLimit` (cleanupHistory).
    func cleanupHistory(_ ds: JSON, _ pods: [JSON], old: [JSON]) async throws {
        let live = Set(pods.compactMap { $0.objectLabels[ControllerHistory.podRevisionLabel] })
        let candidates = old.filter { r in
            guard let hash = r.objectLabels[ControllerHistory.podRevisionLabel] else { return true }
            return !live.contains(hash)
        }
        try await ControllerHistory.truncate(candidates, limit: Int(ds["spec", "revisionHistoryLimit"]?.int ?? 10), client: client)
    }
}
