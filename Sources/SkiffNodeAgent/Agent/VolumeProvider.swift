import Foundation
import SkiffModel

/// Where Pod volumes plug in: prepares a Pod's volumes before its containers start, turns a
/// container's `volumeMounts` into mounts, and cleans up when the Pod is gone.
public protocol VolumeProvider: Sendable {
    /// Makes the Pod's volumes under `podDir` (idempotent; called again after an agent restart).
    func setUp(pod: JSON, podDir: String) async throws
    /// The mounts of one container (resolved to host paths).
    func mounts(pod: JSON, container: JSON, podDir: String) async throws -> [MountSpec]
    /// Removes what `setUp` made. Idempotent.
    func tearDown(pod: JSON, podDir: String) async throws
}

/// The agent's built-in volumes until a full provider is plugged in: `emptyDir` as a plain
/// directory under `<podDir>/volumes/empty-dir/<name>`. Other volume types are refused with a
/// clear error, so the Pod shows why it cannot start.
public struct EmptyDirVolumes: VolumeProvider {
    public init() {}

    public func setUp(pod: JSON, podDir: String) async throws {
        for v in pod["spec", "volumes"]?.array ?? [] {
            let name = v["name"]?.string ?? ""
            guard v["emptyDir"] != nil else {
                let kind = v.members.keys.first { $0 != "name" } ?? "unknown"
                throw RuntimeError("volume \"\(name)\": \(kind) volumes are not supported by this node")
            }
            try FileSystem.makeDirectories("\(podDir)/volumes/empty-dir/\(name)")
        }
    }

    public func mounts(pod: JSON, container: JSON, podDir: String) async throws -> [MountSpec] {
        try (container["volumeMounts"]?.array ?? []).map { m in
            let name = m["name"]?.string ?? ""
            guard let path = m["mountPath"]?.string else { throw RuntimeError("volumeMount \(name) has no mountPath") }
            var source = "\(podDir)/volumes/empty-dir/\(name)"
            if let sub = m["subPath"]?.string, !sub.isEmpty {
                guard !sub.split(separator: "/").contains("..") else { throw RuntimeError("subPath \(sub) must not contain '..'") }
                source += "/" + sub
                try FileSystem.makeDirectories(source)
            }
            let ro = m["readOnly"]?.bool ?? false
            return MountSpec(destination: path, source: source, options: ["rbind", ro ? "ro" : "rw"])
        }
    }

    public func tearDown(pod: JSON, podDir: String) async throws {
        FileSystem.removeTree("\(podDir)/volumes")
    }
}
