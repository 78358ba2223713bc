import SkiffClient
import SkiffModel

extension OwnerGraph {
    /// One `metadata.ownerReferences` entry.
    struct Reference: Sendable, Hashable {
        var apiVersion: String
        var kind: String
        var name: String
        var uid: String
        var blockOwnerDeletion: Bool

        init?(_ json: JSON) {
            guard let uid = json["uid"]?.string, !uid.isEmpty, let name = json["name"]?.string, let kind = json["kind"]?.string else { return nil }
            self.apiVersion = json["apiVersion"]?.string ?? ""
            self.kind = kind
            self.name = name
            self.uid = uid
            self.blockOwnerDeletion = json["blockOwnerDeletion"]?.bool ?? false
        }

        /// The API group of `apiVersion` (empty for the core group).
        var group: String {
            guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
            return String(apiVersion[..<slash])
        }

        static func all(of object: JSON) -> [Reference] {
            (object["metadata", "ownerReferences"]?.array ?? []).compactMap(Reference.init)
        }
    }

    /// What the garbage collector knows of one object: where it is, its owners, its deletion state.
    struct Node: Sendable, Equatable {
        var resource: Resource
        var namespace: String?
        var name: String
        var uid: String
        var owners: [Reference]
        var beingDeleted: Bool
        var finalizers: [String]

        init(resource: Resource, object: JSON) {
            self.resource = resource
            namespace = object["metadata", "namespace"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            name = object["metadata", "name"]?.string ?? ""
            uid = object["metadata", "uid"]?.string ?? ""
            owners = Reference.all(of: object)
            beingDeleted = object["metadata", "deletionTimestamp"].map { !$0.isNull } ?? false
            finalizers = (object["metadata", "finalizers"]?.array ?? []).compactMap(\.string)
        }

        /// Deleted in the foreground: waits for its blocking dependents to go first.
        var deletingDependents: Bool { beingDeleted && finalizers.contains(GarbageCollector.foregroundFinalizer) }
        /// Deleted with orphaning: waits for its dependents to drop their references to it.
        var orphaningDependents: Bool { beingDeleted && finalizers.contains(GarbageCollector.orphanFinalizer) }

        var description: String { "\(resource) \(namespace.map { $0 + "/" } ?? "")\(name)" }
    }
}
