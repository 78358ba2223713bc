import Foundation
import Glibc
import SkiffModel
import Synchronization
@testable import SkiffNodeAgent

/// Cluster objects for volume tests, changeable while a test runs.
final class MockVolumeSource: VolumeObjectSource {
    struct State {
        var configMaps: [String: JSON] = [:]
        var secrets: [String: JSON] = [:]
        var claims: [String: JSON] = [:]
        var volumes: [String: JSON] = [:]
        var tokenRequests: [(namespace: String, serviceAccount: String, audiences: [String], expirationSeconds: Int64, podName: String)] = []
        var failTokens = false
    }
    let state = Mutex(State())

    func configMap(namespace: String, name: String) async throws -> JSON? { state.withLock { $0.configMaps["\(namespace)/\(name)"] } }
    func secret(namespace: String, name: String) async throws -> JSON? { state.withLock { $0.secrets["\(namespace)/\(name)"] } }
    func persistentVolumeClaim(namespace: String, name: String) async throws -> JSON? { state.withLock { $0.claims["\(namespace)/\(name)"] } }
    func persistentVolume(name: String) async throws -> JSON? { state.withLock { $0.volumes[name] } }

    func serviceAccountToken(namespace: String, serviceAccount: String, audiences: [String], expirationSeconds: Int64, pod: JSON) async throws -> String {
        try state.withLock { s in
            if s.failTokens { throw VolumeTestError("serviceaccounts \"\(serviceAccount)\" not found") }
            s.tokenRequests.append((namespace, serviceAccount, audiences, expirationSeconds, pod["metadata", "name"]?.string ?? ""))
            return "token-\(s.tokenRequests.count)-\(serviceAccount)"
        }
    }

    func setConfigMap(_ name: String, data: [String: String], binaryData: [String: String] = [:], namespace: String = "ns") {
        var cm: JSON = ["metadata": ["name": .string(name), "namespace": .string(namespace)], "data": JSON(data)]
        if !binaryData.isEmpty { cm["binaryData"] = JSON(binaryData) }
        state.withLock { $0.configMaps["\(namespace)/\(name)"] = cm }
    }

    func removeConfigMap(_ name: String, namespace: String = "ns") { state.withLock { $0.configMaps["\(namespace)/\(name)"] = nil } }

    /// A Secret whose `data` holds `plain` values base64-encoded, as the API serves it.
    func setSecret(_ name: String, plain: [String: String], namespace: String = "ns") {
        let data = plain.mapValues { Data($0.utf8).base64EncodedString() }
        state.withLock { $0.secrets["\(namespace)/\(name)"] = ["metadata": ["name": .string(name)], "data": JSON(data)] }
    }

    var tokenRequestCount: Int { state.withLock { $0.tokenRequests.count } }
}

struct VolumeTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A temporary pods directory and a VolumeManager over a mock source; `cleanUp` tears down.
final class VolumeFixture: @unchecked Sendable {
    let dir: String
    let source = MockVolumeSource()
    let manager: VolumeManager
    let uid = UUID().uuidString.lowercased()
    static let node = NodeAllocatable(milliCPU: 4000, memoryBytes: 8 << 30, ephemeralStorageBytes: 100 << 30)

    init() throws {
        dir = FileManager.default.temporaryDirectory.path + "/skiff-volume-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/pods", withIntermediateDirectories: true)
        manager = VolumeManager(podsDirectory: dir + "/pods", source: source, nodeName: "node-1", nodeAllocatable: Self.node)
    }

    /// A Pod in namespace `ns` with these volumes and one container `app`.
    func pod(volumes: [JSON], container: JSON = ["name": "app", "image": "busybox"], extraSpec: [String: JSON] = [:]) -> JSON {
        var spec: JSON = ["volumes": .array(volumes), "containers": [container], "serviceAccountName": "default"]
        for (k, v) in extraSpec { spec[k] = v }
        return [
            "metadata": ["name": "web", "namespace": "ns", "uid": .string(uid),
                         "labels": ["app": "web", "tier": "front"], "annotations": ["note": "say \"hi\"\nbye"]],
            "spec": spec,
        ]
    }

    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
    func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }
    func link(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }
    func entries(_ path: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    func cleanUp() {
        try? manager.tearDown(podUID: uid)
        try? FileManager.default.removeItem(atPath: dir)
    }
}
