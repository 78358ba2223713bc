import SkiffClient
import SkiffModel

/// ControllerRevisions: the template history of StatefulSets and DaemonSets
/// (k8s.io/kubernetes `controller/history`), which `kubectl rollout history` and `rollout undo` read.
///
/// A revision's `data` is the strategic merge patch that puts its template back:
/// `{"spec":{"template":{..., "$patch":"replace"}}}`; `revision` numbers them, highest newest.
enum ControllerHistory {
    static let hashLabel = "controller.kubernetes.io/hash"
    static let podRevisionLabel = "controller-revision-hash"

    /// The patch that restores `owner`'s Pod template (getPatch).
    static func patch(of owner: JSON) -> JSON {
        var template = owner["spec", "template"] ?? [:]
        template["$patch"] = "replace"
        return ["spec": ["template": template]]
    }

    /// The Pod template a revision holds.
    static func template(of revision: JSON) -> JSON {
        var template = revision["data", "spec", "template"] ?? [:]
        template["$patch"] = nil
        return template
    }

    /// Whether two revisions hold the same template (absent and empty values alike).
    static func sameData(_ a: JSON, _ b: JSON) -> Bool {
        PodTemplateHash.canonical(a["data"] ?? .null) == PodTemplateHash.canonical(b["data"] ?? .null)
    }

    static func number(_ revision: JSON) -> Int64 { revision["revision"]?.int ?? 0 }

    /// Oldest first (by revision number, then creation time, then name).
    static func sorted(_ revisions: [JSON]) -> [JSON] {
        revisions.sorted { a, b in
            let (ra, rb) = (number(a), number(b))
            if ra != rb { return ra < rb }
            if a.creationSeconds != b.creationSeconds { return a.creationSeconds < b.creationSeconds }
            return a.objectName < b.objectName
        }
    }

    /// One more than the highest revision number (1 for none).
    static func nextNumber(_ revisions: [JSON]) -> Int64 { (revisions.map(number).max() ?? 0) + 1 }

    /// A new revision of `owner` (history.NewControllerRevision): the template's labels plus the
    /// hash label (`controller.kubernetes.io/hash`; a DaemonSet's is `controller-revision-hash`),
    /// the owner's annotations, the owner as controller, named `<owner>-<hash>`.
    static func make(owner: JSON, resource: Resource, labels: [String: String], data: JSON, number: Int64,
                     hash: String, hashLabel: String = hashLabel) -> JSON {
        var labels = labels
        labels[hashLabel] = hash
        var meta: JSON = ["name": .string(name(owner: owner.objectName, hash: hash)), "namespace": .string(owner.objectNamespace),
                          "labels": JSON(labels),
                          "ownerReferences": [JSON.controllerReference(to: owner, apiVersion: resource.apiVersion, kind: resource.kind)]]
        let annotations = owner.objectAnnotations
        if !annotations.isEmpty { meta["annotations"] = JSON(annotations) }
        return ["apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta, "data": data, "revision": .int(number)]
    }

    /// `<owner>-<hash>`, the owner's name cut so the whole stays within 253 characters.
    static func name(owner: String, hash: String) -> String {
        String(owner.prefix(223)) + "-" + hash
    }

    /// The revisions of `owner` in the namespace, adopting matching orphans and releasing those
    /// that stopped matching.
    static func claim(_ lister: Lister, client: Client, owner: JSON, resource: Resource, selector: LabelSelector) async throws -> [JSON] {
        let uid = owner.objectUID
        let candidates = lister.list(namespace: owner.objectNamespace).filter { r in
            guard let ref = r.controllerRef else { return true }
            return ref["uid"]?.string == uid
        }
        let claimer = ControllerRefManager(client: client, controller: owner, controllerResource: resource,
                                           ownedResource: .controllerRevisions, selector: selector)
        return try await claimer.claim(candidates)
    }

    /// Deletes the oldest revisions in `candidates` (revisions not in use) beyond `limit`.
    static func truncate(_ candidates: [JSON], limit: Int, client: Client) async throws {
        let old = sorted(candidates)
        guard old.count > limit else { return }
        for revision in old.prefix(old.count - limit) {
            do {
                _ = try await client.delete(.controllerRevisions, namespace: revision.objectNamespace, name: revision.objectName,
                                            options: .init(preconditionUID: revision.objectUID))
            } catch let e as APIError where e.isNotFound || e.isConflict {
                continue
            }
        }
    }
}
