import Glibc
import SkiffModel

/// The node agent's volume manager (the kubelet's volume manager and in-tree volume plugins):
/// prepares a Pod's volumes on this node, turns a container's `volumeMounts` into OCI mounts,
/// keeps configMap, secret, downwardAPI and projected volumes up to date, and removes it all.
///
/// Volumes live under `<podsDirectory>/<pod uid>/volumes/<plugin>/<volume name>` with the
/// kubelet's plugin names (`kubernetes.io~empty-dir`, `kubernetes.io~configmap`,
/// `kubernetes.io~secret`, `kubernetes.io~downward-api`, `kubernetes.io~projected`); hostPath
/// and persistentVolumeClaim volumes are host directories used in place.
///
/// Every call is idempotent. Calls for one Pod must not overlap (the Pod's worker makes them
/// one at a time); calls for different Pods may run concurrently.
///
///     let volumes = try await manager.setUp(pod: pod)            // name -> host path
///     let mounts = try manager.mounts(pod: pod, container: c, volumes: volumes, env: env)
///     try await manager.refresh(pod: pod)                         // on a resync
///     try manager.tearDown(podUID: uid)                           // after the Pod is gone
public final class VolumeManager: Sendable {
    public let podsDirectory: String
    public let nodeName: String
    let source: any VolumeObjectSource
    let node: NodeAllocatable
    let tokens = ServiceAccountTokens()
    /// Secret, downwardAPI and projected volumes are tmpfs mounts (as the kubelet's, so secrets
    /// never reach a disk) when the agent may mount, that is, runs as root; plain directories otherwise.
    let memoryBackedProjections: Bool

    public convenience init(podsDirectory: String, source: any VolumeObjectSource, nodeName: String) {
        self.init(podsDirectory: podsDirectory, source: source, nodeName: nodeName,
                  nodeAllocatable: .detect(directory: podsDirectory))
    }

    /// As `init(podsDirectory:source:nodeName:)`, with the node's allocatable resources given.
    public init(podsDirectory: String, source: any VolumeObjectSource, nodeName: String, nodeAllocatable: NodeAllocatable) {
        self.podsDirectory = podsDirectory
        self.source = source
        self.nodeName = nodeName
        self.node = nodeAllocatable
        self.memoryBackedProjections = geteuid() == 0
    }

    /// `<podsDirectory>/<uid>/volumes`.
    public func volumesDirectory(podUID: String) -> String { "\(podsDirectory)/\(podUID)/volumes" }

    /// Materialises every volume of `pod` under `<podsDirectory>/<uid>/volumes/<plugin>/<name>`;
    /// returns volume name -> host path. Throws `VolumeError` naming the volume (the agent turns
    /// it into a `FailedMount` event); volumes set up before the failing one stay in place.
    public func setUp(pod: JSON) async throws -> [String: String] {
        let uid = try Self.podUID(pod)
        var paths: [String: String] = [:]
        for volume in pod["spec", "volumes"]?.array ?? [] {
            let name = volume["name"]?.string ?? ""
            do throws(VolumeError) {
                try Self.checkName(name)
                paths[name] = try await setUpVolume(volume, name: name, pod: pod, podUID: uid)
            } catch {
                throw error.about(name)
            }
        }
        return paths
    }

    /// Re-projects configMap, secret, downwardAPI and projected volumes whose sources changed
    /// (atomically: readers see the old files or the new ones). Other volumes are left alone.
    /// Every such volume is tried; the first error is thrown after, naming its volume.
    public func refresh(pod: JSON) async throws {
        let uid = try Self.podUID(pod)
        var first: VolumeError?
        for volume in pod["spec", "volumes"]?.array ?? [] {
            let name = volume["name"]?.string ?? ""
            guard Self.projectedKinds.contains(where: { volume[$0] != nil }) else { continue }
            do throws(VolumeError) {
                try Self.checkName(name)
                _ = try await setUpVolume(volume, name: name, pod: pod, podUID: uid)
            } catch {
                if first == nil { first = error.about(name) }
            }
        }
        if let first { throw first }
    }

    /// Unmounts and removes everything under the Pod's volumes directory. Idempotent; a Pod
    /// never set up is fine. Throws (and deletes nothing further) if a mount cannot be removed.
    public func tearDown(podUID: String) throws {
        guard !podUID.isEmpty, !podUID.contains("/"), podUID != ".", podUID != ".." else {
            throw VolumeError(.invalidVolume, "invalid pod uid \"\(podUID)\"")
        }
        tokens.forget(podUID: podUID)
        let dir = volumesDirectory(podUID: podUID)
        guard VolumeFS.exists(dir) else { return }
        if let real = VolumeFS.realPath(dir) {
            for point in MountTable.mountPoints(under: real) { try MountTable.unmount(point) }
        }
        try VolumeFS.removeTree(dir)
    }

    static let projectedKinds = ["configMap", "secret", "downwardAPI", "projected"]

    static func podUID(_ pod: JSON) throws(VolumeError) -> String {
        let uid = pod["metadata", "uid"]?.string ?? ""
        guard !uid.isEmpty, !uid.contains("/"), uid != ".", uid != ".." else {
            throw VolumeError(.invalidVolume, "pod has no valid metadata.uid")
        }
        return uid
    }

    static func checkName(_ name: String) throws(VolumeError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw VolumeError(.invalidVolume, "invalid volume name \"\(name)\"")
        }
    }

    func pluginDirectory(podUID: String, plugin: String, name: String) -> String {
        "\(volumesDirectory(podUID: podUID))/kubernetes.io~\(plugin)/\(name)"
    }

    func setUpVolume(_ volume: JSON, name: String, pod: JSON, podUID uid: String) async throws(VolumeError) -> String {
        let namespace = pod["metadata", "namespace"]?.string ?? "default"
        let fsGroup = VolumeOwnership.fsGroup(pod)
        if let spec = volume["emptyDir"] {
            let dir = pluginDirectory(podUID: uid, plugin: "empty-dir", name: name)
            try setUpEmptyDir(spec, dir: dir, pod: pod)
            if let fsGroup { try VolumeOwnership.apply(dir, group: fsGroup, readOnly: false) }
            return dir
        }
        if let spec = volume["hostPath"] { return try HostPathVolume.setUp(spec) }
        if let spec = volume["persistentVolumeClaim"] {
            return try await persistentVolumeClaimPath(spec, namespace: namespace)
        }
        if let spec = volume["configMap"] {
            let dir = pluginDirectory(podUID: uid, plugin: "configmap", name: name)
            let mode = try KeyToPathPayload.mode(spec["defaultMode"]) ?? KeyToPathPayload.defaultMode
            let payload = try await configMapPayload(spec, namespace: namespace, defaultMode: mode)
            try project(payload, dir: dir, memory: false, fsGroup: fsGroup)
            return dir
        }
        if let spec = volume["secret"] {
            let dir = pluginDirectory(podUID: uid, plugin: "secret", name: name)
            let mode = try KeyToPathPayload.mode(spec["defaultMode"]) ?? KeyToPathPayload.defaultMode
            let payload = try await secretPayload(spec, namespace: namespace, defaultMode: mode)
            try project(payload, dir: dir, memory: memoryBackedProjections, fsGroup: fsGroup)
            return dir
        }
        if let spec = volume["downwardAPI"] {
            let dir = pluginDirectory(podUID: uid, plugin: "downward-api", name: name)
            let mode = try KeyToPathPayload.mode(spec["defaultMode"]) ?? KeyToPathPayload.defaultMode
            let payload = try DownwardAPIPayload.make(items: spec["items"]?.array ?? [], pod: pod, defaultMode: mode, node: node)
            try project(payload, dir: dir, memory: memoryBackedProjections, fsGroup: fsGroup)
            return dir
        }
        if let spec = volume["projected"] {
            let dir = pluginDirectory(podUID: uid, plugin: "projected", name: name)
            let payload = try await projectedPayload(spec, pod: pod, fsUser: VolumeOwnership.fsUser(pod), fsGroup: fsGroup)
            try project(payload, dir: dir, memory: memoryBackedProjections, fsGroup: fsGroup)
            return dir
        }
        let kind = volume.members.keys.filter { $0 != "name" }.sorted().first ?? "unknown"
        throw VolumeError(.unsupported, "no volume plugin matched (\(kind) volumes are not supported)")
    }

    /// Creates the volume directory (a tmpfs mount when `memory`) and writes `payload` with the
    /// atomic writer; with an fsGroup the whole volume is given to the group.
    func project(_ payload: [String: FileProjection], dir: String, memory: Bool, fsGroup: gid_t?) throws(VolumeError) {
        try VolumeFS.makeDirectories(dir, mode: 0o755)
        if memory && !MountTable.isMountPoint(dir) { try MountTable.mountTmpfs(at: dir, sizeBytes: nil) }
        let writer = AtomicWriter(dir: dir)
        if let fsGroup {
            try writer.write(payload) { _ throws(VolumeError) in try VolumeOwnership.apply(dir, group: fsGroup, readOnly: true) }
        } else {
            try writer.write(payload)
        }
    }
}
