import Foundation

/// Reads a cgroup's cumulative CPU time and memory use, from cgroup v1 (`cpuacct.usage`,
/// `memory.usage_in_bytes`, `memory.stat` with `total_*` counters) or cgroup v2 (`cpu.stat`
/// `usage_usec`, `memory.current`, `memory.stat`), as cAdvisor does for the kubelet.
///
/// Paths are the ones the agent gives runc (`/skiff/pod<uid>/<container>`), relative to the root
/// of each hierarchy. Reads never throw: a cgroup that is gone (or a file that cannot be parsed)
/// reads as nil.
///
/// ```swift
/// let reader = CgroupReader.detect()
/// let ns = reader.cpuUsageNanoseconds(PodCgroups.podPath(podUID: uid))
/// ```
public struct CgroupReader: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Controllers each at `<root>/<controller>` (`cpuacct` or `cpu,cpuacct`, `memory`).
        case v1
        /// One unified hierarchy at `<root>`.
        case v2
    }

    public let root: String
    public let mode: Mode

    public init(root: String, mode: Mode) {
        self.root = root
        self.mode = mode
    }

    /// v2 when `<root>/cgroup.controllers` exists (a pure cgroup2 mount), else v1 (hybrid
    /// machines keep their controllers on v1).
    public static func detect(root: String = PodCgroups.root) -> CgroupReader {
        CgroupReader(root: root, mode: FileManager.default.fileExists(atPath: root + "/cgroup.controllers") ? .v2 : .v1)
    }

    /// What a memory cgroup holds, in bytes (counters in events).
    public struct Memory: Sendable, Equatable {
        public var usageBytes: UInt64
        /// Usage less inactive file pages: what the kubelet evicts and OOM-kills on.
        public var workingSetBytes: UInt64
        public var rssBytes: UInt64
        public var pageFaults: UInt64
        public var majorPageFaults: UInt64
        /// The limit, nil when unlimited.
        public var limitBytes: UInt64?
    }

    /// Whether the cgroup exists (in the CPU hierarchy for v1).
    public func exists(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: cpuDirectory(path), isDirectory: &isDir) && isDir.boolValue
    }

    /// Cumulative CPU time of every process the cgroup (and its children) ever ran, in ns.
    public func cpuUsageNanoseconds(_ path: String) -> UInt64? {
        switch mode {
        case .v1:
            return Self.readFile(cpuDirectory(path) + "/cpuacct.usage").flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        case .v2:
            guard let stat = Self.readFile(cpuDirectory(path) + "/cpu.stat"), let us = Self.keyed(stat)["usage_usec"] else { return nil }
            return us &* 1000
        }
    }

    public func memory(_ path: String) -> Memory? {
        switch mode {
        case .v1:
            let dir = "\(root)/memory\(path)"
            guard let usage = Self.number(dir + "/memory.usage_in_bytes"), let statText = Self.readFile(dir + "/memory.stat") else { return nil }
            let stat = Self.keyed(statText)
            let inactive = stat["total_inactive_file"] ?? stat["inactive_file"] ?? 0
            let limit = Self.number(dir + "/memory.limit_in_bytes")
            return Memory(usageBytes: usage, workingSetBytes: usage > inactive ? usage - inactive : 0,
                          rssBytes: stat["total_rss"] ?? stat["rss"] ?? 0,
                          pageFaults: stat["total_pgfault"] ?? stat["pgfault"] ?? 0,
                          majorPageFaults: stat["total_pgmajfault"] ?? stat["pgmajfault"] ?? 0,
                          // v1 reports "unlimited" as a huge page-aligned number.
                          limitBytes: limit.flatMap { $0 >= 1 << 62 ? nil : $0 })
        case .v2:
            let dir = root + path
            guard let usage = Self.number(dir + "/memory.current"), let statText = Self.readFile(dir + "/memory.stat") else { return nil }
            let stat = Self.keyed(statText)
            let inactive = stat["inactive_file"] ?? 0
            return Memory(usageBytes: usage, workingSetBytes: usage > inactive ? usage - inactive : 0,
                          rssBytes: stat["anon"] ?? 0, pageFaults: stat["pgfault"] ?? 0,
                          majorPageFaults: stat["pgmajfault"] ?? 0, limitBytes: Self.number(dir + "/memory.max"))
        }
    }

    /// The directory holding CPU accounting for `path`.
    func cpuDirectory(_ path: String) -> String {
        switch mode {
        case .v2: return root + path
        case .v1:
            for name in ["cpuacct", "cpu,cpuacct", "cpuacct,cpu"] where FileManager.default.fileExists(atPath: "\(root)/\(name)") {
                return "\(root)/\(name)\(path)"
            }
            return "\(root)/cpuacct\(path)"
        }
    }

    static func readFile(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A file holding one number (nil for v2's "max").
    static func number(_ path: String) -> UInt64? {
        readFile(path).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// `key value` lines (`memory.stat`, `cpu.stat`).
    static func keyed(_ text: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = UInt64(f[1]) { out[String(f[0])] = v }
        }
        return out
    }
}
