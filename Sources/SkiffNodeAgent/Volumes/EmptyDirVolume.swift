import Glibc
import SkiffModel

/// emptyDir: a 0777 directory on the node's disk, or a tmpfs mount for `medium: Memory`.
extension VolumeManager {
    func setUpEmptyDir(_ spec: JSON, dir: String, pod: JSON) throws(VolumeError) {
        let medium = spec["medium"]?.string ?? ""
        switch medium {
        case "":
            if !VolumeFS.exists(dir) {
                try VolumeFS.makeDirectories(dir, mode: 0o755)
                try VolumeFS.chmod(dir, 0o777)
            }
        case "Memory":
            try VolumeFS.makeDirectories(dir, mode: 0o755)
            if !MountTable.isMountPoint(dir) {
                try MountTable.mountTmpfs(at: dir, sizeBytes: try memorySize(spec, pod: pod))
            }
        case let m where m.hasPrefix("HugePages"):
            throw VolumeError(.unsupported, "emptyDir medium \(m) is not supported")
        default:
            throw VolumeError(.invalidVolume, "unknown storage medium \"\(medium)\"")
        }
    }

    /// The kubelet's `calculateEmptyDirMemorySize`: the node's allocatable memory, lowered to
    /// the Pod's memory limit if it has one, lowered to `sizeLimit` if that is smaller still.
    func memorySize(_ spec: JSON, pod: JSON) throws(VolumeError) -> Int64 {
        var size = node.memoryBytes
        if let podLimit = try Self.podMemoryLimit(pod), podLimit > 0, podLimit <= size { size = podLimit }
        if let s = spec["sizeLimit"] {
            let q: Quantity
            do { q = try Quantity(json: s) } catch { throw VolumeError(.invalidVolume, "invalid sizeLimit: \(error)") }
            if q.value > 0 && (size <= 0 || q.value <= size) { size = q.value }
        }
        return size
    }

    /// The Pod's memory limit as its cgroup gets it: the sum of its containers' limits (or the
    /// largest init container's, if larger); nil when some container has none.
    static func podMemoryLimit(_ pod: JSON) throws(VolumeError) -> Int64? {
        func limit(_ c: JSON) throws(VolumeError) -> Int64? {
            guard let j = c["resources", "limits", "memory"] else { return nil }
            do { return try Quantity(json: j).value } catch { throw VolumeError(.invalidVolume, "invalid memory limit: \(error)") }
        }
        var sum: Int64 = 0
        for c in pod["spec", "containers"]?.array ?? [] {
            guard let l = try limit(c) else { return nil }
            sum += l
        }
        for c in pod["spec", "initContainers"]?.array ?? [] {
            guard let l = try limit(c) else { return nil }
            sum = max(sum, l)
        }
        return sum
    }
}
