import Foundation
import SkiffModel

/// Where Pod volumes plug in: prepares a Pod's volumes before its containers start, turns a
/// container's `volumeMounts` into mounts, and cleans up when the Pod is gone.
public protocol VolumeProvider: Sendable {
    /// Makes the Pod's volumes under `podDir` (idempotent; called again after an agent restart).
    func setUp(pod: JSON, podDir: String) async throws
    /// The mounts of one container (resolved to host paths); `env` is its resolved environment,
    /// for `subPathExpr`.
    func mounts(pod: JSON, container: JSON, podDir: String, env: [(String, String)]) async throws -> [MountSpec]
    /// Brings ConfigMap, Secret, downward API and projected volumes up to date.
    func refresh(pod: JSON, podDir: String) async throws
    /// Removes what `setUp` made. Idempotent.
    func tearDown(pod: JSON, podDir: String) async throws
}
