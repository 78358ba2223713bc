import SkiffModel

/// Where the volume plugins read cluster objects (the agent backs it with SkiffClient; tests
/// with a mock). Lookups return nil when the object does not exist and throw on other failures.
public protocol VolumeObjectSource: Sendable {
    func configMap(namespace: String, name: String) async throws -> JSON?   // nil when not found
    func secret(namespace: String, name: String) async throws -> JSON?
    /// A bound ServiceAccount token (TokenRequest); throws if the server cannot issue one.
    func serviceAccountToken(namespace: String, serviceAccount: String, audiences: [String], expirationSeconds: Int64, pod: JSON) async throws -> String
    func persistentVolumeClaim(namespace: String, name: String) async throws -> JSON?
    /// The PersistentVolume `name` (cluster-scoped), nil when not found. A Bound claim names
    /// its volume in `spec.volumeName`; the volume's `hostPath.path` or `local.path` is mounted.
    func persistentVolume(name: String) async throws -> JSON?
}

extension VolumeObjectSource {
    /// Sources that cannot read PersistentVolumes make every claim fail to mount, with this
    /// error, rather than mount something else.
    public func persistentVolume(name: String) async throws -> JSON? {
        throw VolumeError(.unsupported, "this node agent cannot read PersistentVolumes (persistentvolume \"\(name)\")")
    }
}
