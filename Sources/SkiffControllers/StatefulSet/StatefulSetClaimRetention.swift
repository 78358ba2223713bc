import SkiffClient
import SkiffModel

/// `persistentVolumeClaimRetentionPolicy` as owner references on a StatefulSet's claims
/// (updateClaimOwnerRefForSetAndPod): `whenDeleted: Delete` makes the set an owner,
/// `whenScaled: Delete` makes the Pod an owner once its ordinal is scaled away, so the garbage
/// collector deletes the claim with its owner. `Retain` removes those references.
struct StatefulSetClaimRetention {
    let client: Client
    let claims: Lister

    static func whenDeleted(_ set: JSON) -> String { set["spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"]?.string ?? "Retain" }
    static func whenScaled(_ set: JSON) -> String { set["spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"]?.string ?? "Retain" }

    /// A plain (non-controller) owner reference.
    static func reference(to owner: JSON, apiVersion: String, kind: String) -> JSON {
        ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(owner.objectName), "uid": .string(owner.objectUID)]
    }

    /// Updates the owner references of the Pod's existing claims where they differ from the policy's.
    func apply(_ set: JSON, pod: JSON, ordinal: Int, condemned: Bool) async throws {
        let wantSet = Self.whenDeleted(set) == "Delete" && !(condemned && Self.whenScaled(set) == "Delete")
        let wantPod = condemned && Self.whenScaled(set) == "Delete"
        for template in StatefulSetPods.claims(set, ordinal: ordinal) {
            guard var claim = claims.get(namespace: set.objectNamespace, name: template.objectName), !claim.isBeingDeleted else { continue }
            let refs = claim["metadata", "ownerReferences"]?.array ?? []
            var kept = refs.filter { r in
                let uid = r["uid"]?.string
                return uid != set.objectUID && uid != pod.objectUID
            }
            if wantSet { kept.append(Self.reference(to: set, apiVersion: "apps/v1", kind: "StatefulSet")) }
            if wantPod { kept.append(Self.reference(to: pod, apiVersion: "v1", kind: "Pod")) }
            let has = Set(refs.compactMap { $0["uid"]?.string }), want = Set(kept.compactMap { $0["uid"]?.string })
            if has == want { continue }
            claim["metadata", "ownerReferences"] = kept.isEmpty ? nil : .array(kept)
            do {
                _ = try await client.update(.persistentVolumeClaims, claim)
            } catch let e as APIError where e.isNotFound {
                continue
            }
        }
    }
}
