import Foundation
import Glibc

/// Reads the machine's totals for the node's stats: CPU time from `/proc/stat`, memory from
/// `/proc/meminfo` and `/proc/vmstat`, file systems with `statvfs`.
///
/// `procRoot` is `/proc` but for tests. Missing or unparsable files read as nil.
public struct HostReader: Sendable {
    public let procRoot: String

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
    }

    /// Busy CPU time of all CPUs, in ns: user, nice, system, irq, softirq and steal of the `cpu`
    /// line (idle and iowait excluded; guest time is already in user).
    public func cpuUsageNanoseconds() -> UInt64? {
        guard let text = CgroupReader.readFile(procRoot + "/stat"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let f = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard f.count >= 4 else { return nil }
        let busy = [0, 1, 2, 5, 6, 7].filter { $0 < f.count }.reduce(UInt64(0)) { $0 + f[$1] }
        let hz = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        return busy * (1_000_000_000 / hz)
    }

    /// When the machine booted (`btime`), in seconds since the epoch.
    public func bootTime() -> Double? {
        guard let text = CgroupReader.readFile(procRoot + "/stat") else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }

    /// The node's memory as the kubelet reports it: usage is total less free, working set is
    /// usage less inactive file pages, available is total less the working set.
    public func memory() -> (memory: CgroupReader.Memory, availableBytes: UInt64)? {
        guard let text = CgroupReader.readFile(procRoot + "/meminfo") else { return nil }
        var kb: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count >= 2, let v = UInt64(f[1]) { kb[String(f[0].dropLast())] = v * 1024 }
        }
        guard let total = kb["MemTotal"], let free = kb["MemFree"] else { return nil }
        let usage = total > free ? total - free : 0
        let inactive = kb["Inactive(file)"] ?? 0
        let ws = usage > inactive ? usage - inactive : 0
        let vm = CgroupReader.readFile(procRoot + "/vmstat").map(CgroupReader.keyed) ?? [:]
        let m = CgroupReader.Memory(usageBytes: usage, workingSetBytes: ws, rssBytes: kb["AnonPages"] ?? 0,
                                    pageFaults: vm["pgfault"] ?? 0, majorPageFaults: vm["pgmajfault"] ?? 0, limitBytes: total)
        return (m, total > ws ? total - ws : 0)
    }

    /// The highest process id (`kernel/pid_max`) and how many processes run now.
    public func processLimits() -> (maxPID: Int64, processes: Int64)? {
        guard let max = CgroupReader.readFile(procRoot + "/sys/kernel/pid_max").flatMap({ Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        else { return nil }
        let procs = ((try? FileManager.default.contentsOfDirectory(atPath: procRoot)) ?? []).filter { Int($0) != nil }.count
        return (max, Int64(procs))
    }

    /// The file system holding `path`.
    public static func fileSystem(_ path: String) -> FsUsage? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        let f = UInt64(s.f_frsize)
        return FsUsage(capacityBytes: UInt64(s.f_blocks) * f, availableBytes: UInt64(s.f_bavail) * f,
                       usedBytes: UInt64(s.f_blocks - s.f_bfree) * f, inodes: UInt64(s.f_files),
                       inodesFree: UInt64(s.f_ffree), inodesUsed: UInt64(s.f_files - s.f_ffree))
    }

    /// Bytes and inodes used under `path` (not following symbolic links), as `du` counts them.
    public static func directoryUsage(_ path: String) -> (bytes: UInt64, inodes: UInt64) {
        var bytes: UInt64 = 0, inodes: UInt64 = 0
        var seen = Set<UInt64>()
        func walk(_ p: String) {
            var st = stat()
            guard lstat(p, &st) == 0 else { return }
            let isDirectory = (st.st_mode & 0o170000) == 0o040000
            if st.st_nlink > 1 && !isDirectory {
                guard seen.insert(UInt64(st.st_ino)).inserted else { return }
            }
            bytes += UInt64(st.st_blocks) * 512
            inodes += 1
            guard isDirectory, let dir = opendir(p) else { return }
            defer { closedir(dir) }
            while let e = readdir(dir) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                walk(p + "/" + name)
            }
        }
        walk(path)
        return (bytes, inodes)
    }
}

/// A file system's use, as `FsStats` reports it.
public struct FsUsage: Sendable, Equatable {
    public var capacityBytes: UInt64
    public var availableBytes: UInt64
    public var usedBytes: UInt64
    public var inodes: UInt64
    public var inodesFree: UInt64
    public var inodesUsed: UInt64

    public init(capacityBytes: UInt64, availableBytes: UInt64, usedBytes: UInt64, inodes: UInt64, inodesFree: UInt64, inodesUsed: UInt64) {
        self.capacityBytes = capacityBytes
        self.availableBytes = availableBytes
        self.usedBytes = usedBytes
        self.inodes = inodes
        self.inodesFree = inodesFree
        self.inodesUsed = inodesUsed
    }
}
