import SkiffModel

/// Objects every cluster has from the start.
public enum Bootstrap {
    /// The four standard namespaces.
    public static let namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    public static func ensureNamespaces(store: ResourceStore, registry: Registry) async throws {
        guard let type = registry.lookup(GroupResource(group: "", resource: "namespaces")) else { return }
        for ns in namespaces {
            if await store.namespaceExists(ns) != nil { continue }
            let object: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]]
            do {
                _ = try await store.create(type, object, dryRun: false)
            } catch {
                if error.code != 409 { throw error }
            }
        }
    }
}
