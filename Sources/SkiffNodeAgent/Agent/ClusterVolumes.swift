import Foundation
import SkiffClient
import SkiffModel
import Synchronization

/// The agent's volumes: every volume type `VolumeManager` supports, reading ConfigMaps,
/// Secrets, claims and ServiceAccount tokens from the API server.
public final class ClusterVolumes: VolumeProvider {
    let manager: VolumeManager
    /// Volume name -> host path, per Pod uid, from the last `setUp`.
    let paths = Mutex<[String: [String: String]]>([:])

    public init(podsDirectory: String, client: Client, nodeName: String) {
        manager = VolumeManager(podsDirectory: podsDirectory, source: ClientVolumeSource(client: client), nodeName: nodeName)
    }

    public func setUp(pod: JSON, podDir: String) async throws {
        let volumes = try await manager.setUp(pod: pod)
        paths.withLock { $0[(pod["metadata", "uid"]?.string ?? "")] = volumes }
    }

    public func mounts(pod: JSON, container: JSON, podDir: String, env: [(String, String)]) async throws -> [MountSpec] {
        guard let volumes = paths.withLock({ $0[(pod["metadata", "uid"]?.string ?? "")] }) else {
            throw RuntimeError("the volumes of pod \((pod["metadata", "name"]?.string ?? "")) are not set up")
        }
        var values: [String: String] = [:]
        for (k, v) in env { values[k] = v }
        return try manager.mounts(pod: pod, container: container, volumes: volumes, env: values)
    }

    public func refresh(pod: JSON, podDir: String) async throws {
        try await manager.refresh(pod: pod)
    }

    public func tearDown(pod: JSON, podDir: String) async throws {
        paths.withLock { _ = $0.removeValue(forKey: (pod["metadata", "uid"]?.string ?? "")) }
        try manager.tearDown(podUID: (pod["metadata", "uid"]?.string ?? ""))
    }
}

/// `VolumeObjectSource` over the API: GETs (404 is nil) and TokenRequests bound to the Pod.
struct ClientVolumeSource: VolumeObjectSource {
    let client: Client

    func configMap(namespace: String, name: String) async throws -> JSON? {
        try await client.getIfExists(.configMaps, namespace: namespace, name: name)
    }

    func secret(namespace: String, name: String) async throws -> JSON? {
        try await client.getIfExists(.secrets, namespace: namespace, name: name)
    }

    func persistentVolumeClaim(namespace: String, name: String) async throws -> JSON? {
        try await client.getIfExists(.persistentVolumeClaims, namespace: namespace, name: name)
    }

    func persistentVolume(name: String) async throws -> JSON? {
        try await client.getIfExists(.persistentVolumes, namespace: nil, name: name)
    }

    func serviceAccountToken(namespace: String, serviceAccount: String, audiences: [String], expirationSeconds: Int64,
                             pod: JSON) async throws -> String {
        var spec: JSON = ["expirationSeconds": .int(expirationSeconds),
                          "boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": .string(pod["metadata", "name"]?.string ?? ""),
                                             "uid": .string(pod["metadata", "uid"]?.string ?? "")]]
        if !audiences.isEmpty { spec["audiences"] = .array(audiences.map { .string($0) }) }  // empty: the API server's own
        let request: JSON = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec]
        let answer = try await client.create(.serviceAccounts, namespace: namespace, name: serviceAccount,
                                             subresource: "token", request)
        guard let token = answer["status", "token"]?.string, !token.isEmpty else {
            throw RuntimeError("the API server returned no token for serviceaccount \(namespace)/\(serviceAccount)")
        }
        return token
    }
}
