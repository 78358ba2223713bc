import SkiffModel

/// Reading the metadata and replica counts of workload objects (Pods, ReplicaSets, Deployments)
/// held as JSON, with Kubernetes' defaults for absent fields.
extension JSON {
    var objectName: String { self["metadata", "name"]?.string ?? "" }
    var objectNamespace: String { self["metadata", "namespace"]?.string ?? "" }
    var objectUID: String { self["metadata", "uid"]?.string ?? "" }
    var objectGeneration: Int64 { self["metadata", "generation"]?.int ?? 0 }
    var objectLabels: [String: String] { self["metadata", "labels"]?.stringMap ?? [:] }
    var objectAnnotations: [String: String] { self["metadata", "annotations"]?.stringMap ?? [:] }

    /// Whether `metadata.deletionTimestamp` is set.
    var isBeingDeleted: Bool {
        guard let ts = self["metadata", "deletionTimestamp"] else { return false }
        return !ts.isNull
    }

    /// `metadata.creationTimestamp` in seconds since the epoch (0 when absent).
    var creationSeconds: Double { self["metadata", "creationTimestamp"]?.string.flatMap(Timestamp.parse) ?? 0 }

    /// The owner reference with `controller: true` (metav1.GetControllerOf).
    var controllerRef: JSON? {
        self["metadata", "ownerReferences"]?.array?.first { $0["controller"]?.bool == true }
    }

    /// `spec.replicas`, 1 when absent (as the API server defaults it).
    var specReplicas: Int { Int(self["spec", "replicas"]?.int ?? 1) }

    /// An integer field of `status`, 0 when absent.
    func statusCount(_ field: String) -> Int { Int(self["status", field]?.int ?? 0) }

    /// The object's `spec.selector` as a selector; `nothing` when absent or invalid.
    var specSelector: LabelSelector {
        (try? LabelSelector.from(self["spec", "selector"] ?? .null).get()) ?? .nothing
    }

    /// The owner reference that makes this object's controller `owner`.
    static func controllerReference(to owner: JSON, apiVersion: String, kind: String) -> JSON {
        ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(owner.objectName),
         "uid": .string(owner.objectUID), "controller": true, "blockOwnerDeletion": true]
    }
}
