import SkiffModel

/// Turns a container's `resources` into cgroup settings as the kubelet does.
public enum Resources {
    public static let cpuPeriod: UInt64 = 100_000
    public static let minShares: UInt64 = 2
    public static let minQuota: Int64 = 1000

    public static func cgroupSettings(for container: JSON) -> ResourceSpec {
        let cpuLimit = quantity(container["resources", "limits", "cpu"])
        let cpuRequest = quantity(container["resources", "requests", "cpu"]) ?? cpuLimit
        let memLimit = quantity(container["resources", "limits", "memory"])
        var r = ResourceSpec()
        r.cpuShares = shares(milliCPU: cpuRequest?.milliValue ?? 0)
        if let l = cpuLimit, !l.isZero {
            r.cpuPeriod = cpuPeriod
            r.cpuQuota = Swift.max(l.milliValue * Int64(cpuPeriod) / 1000, minQuota)
        }
        if let m = memLimit, !m.isZero { r.memoryLimit = m.value }
        return r
    }

    /// `MilliCPUToShares`: 1 cpu = 1024 shares, at least 2.
    public static func shares(milliCPU: Int64) -> UInt64 {
        if milliCPU <= 0 { return minShares }
        return Swift.max(UInt64(milliCPU) * 1024 / 1000, minShares)
    }
}

/// Where Skiff puts its cgroups: `/skiff/pod<uid>/<container>` from the root of each hierarchy
/// (absolute: runc reads a relative path as relative to its own cgroup).
public enum PodCgroups {
    public static let root = "/sys/fs/cgroup"

    public static func podPath(podUID: String) -> String { "/skiff/pod\(podUID)" }

    public static func containerPath(podUID: String, container: String) -> String {
        "\(podPath(podUID: podUID))/\(container)"
    }

    /// True when /sys/fs/cgroup is itself a cgroup2 mount (no v1 controllers).
    public static var isUnifiedOnly: Bool {
        FileSystem.exists("\(root)/cgroup.controllers")
    }

    /// The directories a relative cgroup path maps to, one per mounted hierarchy.
    public static func directories(for path: String) -> [String] {
        if isUnifiedOnly { return ["\(root)\(path)"] }
        let hierarchies = FileSystem.list(root).filter { !$0.contains(",") }
        return hierarchies.map { "\(root)/\($0)\(path)" }.filter { FileSystem.isDirectory($0) }
    }

    /// Removes the Pod's parent cgroup in every hierarchy (its containers' cgroups must be gone).
    public static func removePod(podUID: String) {
        for dir in directories(for: podPath(podUID: podUID)) { FileSystem.removeDirectory(dir) }
    }
}
