import SkiffModel

/// Objects every cluster has from the start.
public enum Bootstrap {
    /// The four standard namespaces.
    public static let namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    public static func ensureNamespaces(store: ResourceStore, registry: Registry) async throws {
        guard let type = registry.lookup(GroupResource(group: "", resource: "namespaces")) else { return }
        for ns in namespaces where await store.namespaceExists(ns) == nil {
            do {
                _ = try await store.create(type, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]], dryRun: false)
            } catch where error.code == 409 {
                continue
            }
        }
    }
}
