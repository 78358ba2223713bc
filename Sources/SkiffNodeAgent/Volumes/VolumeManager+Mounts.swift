import Glibc
import SkiffModel

/// A container's `volumeMounts` as OCI bind mounts (the kubelet's `makeMounts`).
extension VolumeManager {
    /// The mounts for container `container` (a container JSON object from the pod spec):
    /// each volumeMount's volume host path from `volumes` (what `setUp` returned), narrowed by
    /// `subPath` or `subPathExpr` (expanded with the container's `env`), read-only when the
    /// mount says so or the volume is always read-only (configMap, secret, downwardAPI,
    /// projected, a read-only claim). `mountPropagation` is not applied (runc's default,
    /// private). Sorted so that a mount never hides one nested under it.
    ///
    /// A sub-path that does not exist is created as a directory; one that resolves (through
    /// symlinks) outside its volume is refused. Errors carry the kubelet's messages; there they
    /// are container errors (`CreateContainerConfigError`), not `FailedMount`.
    public func mounts(pod: JSON, container: JSON, volumes: [String: String], env: [String: String]) throws -> [MountSpec] {
        let containerName = container["name"]?.string ?? ""
        var specVolumes: [String: JSON] = [:]
        for v in pod["spec", "volumes"]?.array ?? [] { if let n = v["name"]?.string { specVolumes[n] = v } }

        var out: [MountSpec] = []
        for m in container["volumeMounts"]?.array ?? [] {
            let name = m["name"]?.string ?? ""
            guard let volumePath = volumes[name] else {
                throw VolumeError(.invalidMount, "cannot find volume \"\(name)\" to mount into container \"\(containerName)\"")
            }
            var mountPath = m["mountPath"]?.string ?? ""
            guard !mountPath.isEmpty else {
                throw VolumeError(.invalidMount, "volumeMount \"\(name)\" of container \"\(containerName)\" has no mountPath")
            }
            if !mountPath.hasPrefix("/") { mountPath = "/" + mountPath }

            var subPath = m["subPath"]?.string ?? ""
            if let expr = m["subPathExpr"]?.string, !expr.isEmpty {
                subPath = try EnvExpansion.expandSubPath(expr, env: env)
            }
            var source = volumePath
            if !subPath.isEmpty {
                source = try Self.resolveSubPath(subPath, volume: volumePath, mount: name, container: containerName)
            }
            let readOnly = (m["readOnly"]?.bool ?? false) || Self.alwaysReadOnly(specVolumes[name])
            out.append(MountSpec(destination: mountPath, source: source, type: "bind", options: ["rbind", readOnly ? "ro" : "rw"]))
        }
        return Self.sortedByDepth(out)
    }

    /// Volumes the kubelet always mounts read-only.
    static func alwaysReadOnly(_ volume: JSON?) -> Bool {
        guard let volume else { return false }
        if projectedKinds.contains(where: { volume[$0] != nil }) { return true }
        return volume["persistentVolumeClaim", "readOnly"]?.bool ?? false
    }

    /// Stable sort by the number of path components of the destination.
    static func sortedByDepth(_ mounts: [MountSpec]) -> [MountSpec] {
        mounts.enumerated().sorted { a, b in
            let da = a.element.destination.split(separator: "/").count, db = b.element.destination.split(separator: "/").count
            return da != db ? da < db : a.offset < b.offset
        }.map(\.element)
    }

    /// `<volume>/<subPath>` with symlinks resolved, created as a directory (with the volume's
    /// mode) when missing, and refused when it leaves the volume.
    static func resolveSubPath(_ subPath: String, volume: String, mount: String, container: String) throws(VolumeError) -> String {
        if subPath.hasPrefix("/") {
            throw VolumeError(.invalidMount, "error SubPath `\(subPath)` must not be an absolute path")
        }
        if subPath.split(separator: "/").contains("..") {
            throw VolumeError(.invalidMount, "unable to provision SubPath `\(subPath)`: must not contain '..'")
        }
        let prepareFailed = VolumeError(.invalidMount, "failed to prepare subPath for volumeMount \"\(mount)\" of container \"\(container)\"")
        guard let root = VolumeFS.realPath(volume) else { throw prepareFailed }
        func inside(_ p: String) -> Bool { root == "/" || p == root || p.hasPrefix(root + "/") }

        var current = root
        for part in subPath.split(separator: "/") where part != "." {
            let next = current + "/" + part
            if VolumeFS.kind(next) == .missing {
                let mode = VolumeFS.mode(current) ?? 0o755
                guard mkdir(next, mode) == 0 || errno == EEXIST, chmod(next, mode) == 0 else {
                    throw VolumeError(.invalidMount, "failed to create subPath directory for volumeMount \"\(mount)\" of container \"\(container)\"")
                }
            }
            guard let real = VolumeFS.realPath(next), inside(real) else {
                var e = prepareFailed
                e.cause = VolumeError(.invalidMount, "subpath \"\(next)\" not within volume path \"\(root)\"")
                throw e
            }
            current = real
        }
        return current
    }
}
