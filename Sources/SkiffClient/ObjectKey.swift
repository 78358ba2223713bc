import SkiffModel

/// The cache and work-queue key of an object: `namespace/name`, or `name` for cluster-scoped
/// objects (client-go's `MetaNamespaceKeyFunc` and `SplitMetaNamespaceKey`).
public enum ObjectKey {
    public static func of(_ object: JSON) -> String {
        key(namespace: object["metadata", "namespace"]?.string, name: object["metadata", "name"]?.string ?? "")
    }

    public static func key(namespace: String?, name: String) -> String {
        guard let namespace, !namespace.isEmpty else { return name }
        return namespace + "/" + name
    }

    /// The namespace (nil for a cluster-scoped key) and name of a key.
    public static func split(_ key: String) -> (namespace: String?, name: String) {
        guard let slash = key.firstIndex(of: "/") else { return (nil, key) }
        return (String(key[..<slash]), String(key[key.index(after: slash)...]))
    }
}
