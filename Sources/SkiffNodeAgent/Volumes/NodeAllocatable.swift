import Glibc

/// What the node can give Pods: the value `limits.*` in the downward API falls back to when
/// a container sets no limit, and the ceiling of a memory-backed emptyDir.
public struct NodeAllocatable: Sendable, Hashable {
    public var milliCPU: Int64
    public var memoryBytes: Int64
    public var ephemeralStorageBytes: Int64

    public init(milliCPU: Int64, memoryBytes: Int64, ephemeralStorageBytes: Int64) {
        self.milliCPU = milliCPU
        self.memoryBytes = memoryBytes
        self.ephemeralStorageBytes = ephemeralStorageBytes
    }

    /// This machine's online CPUs, MemTotal, and the size of the file system holding `directory`.
    public static func detect(directory: String) -> NodeAllocatable {
        let cpus = Int64(max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1))
        var vfs = statvfs()
        var storage: Int64 = 0
        if statvfs(directory, &vfs) == 0 { storage = Int64(vfs.f_blocks) * Int64(vfs.f_frsize) }
        return NodeAllocatable(milliCPU: cpus * 1000, memoryBytes: FileSystem.memoryTotal(), ephemeralStorageBytes: storage)
    }
}
