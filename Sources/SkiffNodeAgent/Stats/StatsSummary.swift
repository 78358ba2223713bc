import SkiffModel

/// The kubelet's Summary API (`stats/v1alpha1`), as served at `/stats/summary`. Times are
/// seconds since the epoch; `json()` writes the kubelet's field names.
public struct StatsSummary: Sendable, Equatable {
    public struct CPU: Sendable, Equatable {
        public var time: Double
        /// Mean usage since the previous sample, nil until there are two.
        public var usageNanoCores: UInt64?
        public var usageCoreNanoSeconds: UInt64
    }

    public struct Memory: Sendable, Equatable {
        public var time: Double
        /// Limit (or the node's total) less the working set; nil without a limit.
        public var availableBytes: UInt64?
        public var usageBytes: UInt64
        public var workingSetBytes: UInt64
        public var rssBytes: UInt64
        public var pageFaults: UInt64
        public var majorPageFaults: UInt64

        init(time: Double, _ m: CgroupReader.Memory, available: UInt64? = nil) {
            self.time = time
            availableBytes = available ?? m.limitBytes.map { $0 > m.workingSetBytes ? $0 - m.workingSetBytes : 0 }
            usageBytes = m.usageBytes
            workingSetBytes = m.workingSetBytes
            rssBytes = m.rssBytes
            pageFaults = m.pageFaults
            majorPageFaults = m.majorPageFaults
        }
    }

    public struct Fs: Sendable, Equatable {
        public var time: Double
        public var usage: FsUsage
    }

    public struct Container: Sendable, Equatable {
        public var name: String
        public var startTime: Double
        public var cpu: CPU?
        public var memory: Memory?
    }

    public struct PodRef: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var uid: String
    }

    public struct Pod: Sendable, Equatable {
        public var podRef: PodRef
        public var startTime: Double
        public var containers: [Container]
        public var cpu: CPU?
        public var memory: Memory?
    }

    public struct Node: Sendable, Equatable {
        public var nodeName: String
        public var startTime: Double
        /// `pods`: the cgroup all Pods run under.
        public var systemContainers: [Container]
        public var cpu: CPU?
        public var memory: Memory?
        public var fs: Fs?
        public var imageFs: Fs?
        public var rlimit: (time: Double, maxPID: Int64, processes: Int64)?

        public static func == (a: Node, b: Node) -> Bool {
            a.nodeName == b.nodeName && a.startTime == b.startTime && a.systemContainers == b.systemContainers
                && a.cpu == b.cpu && a.memory == b.memory && a.fs == b.fs && a.imageFs == b.imageFs
                && a.rlimit?.time == b.rlimit?.time && a.rlimit?.maxPID == b.rlimit?.maxPID && a.rlimit?.processes == b.rlimit?.processes
        }
    }

    public var node: Node
    public var pods: [Pod]

    /// The Summary JSON; `onlyCPUAndMemory` (the `only_cpu_and_memory=true` query) leaves out
    /// file systems and process limits, as the kubelet does.
    public func json(onlyCPUAndMemory: Bool = false) -> JSON {
        var n: JSON = ["nodeName": .string(node.nodeName), "startTime": .string(Timestamp.format(node.startTime))]
        if !node.systemContainers.isEmpty { n["systemContainers"] = .array(node.systemContainers.map(Self.json)) }
        if let c = node.cpu { n["cpu"] = Self.json(c) }
        if let m = node.memory { n["memory"] = Self.json(m) }
        if !onlyCPUAndMemory {
            if let fs = node.fs { n["fs"] = Self.json(fs) }
            if let fs = node.imageFs { n["runtime"] = ["imageFs": Self.json(fs)] }
            if let r = node.rlimit {
                n["rlimit"] = ["time": .string(Timestamp.format(r.time)), "maxpid": .int(r.maxPID), "curproc": .int(r.processes)]
            }
        }
        return ["node": n, "pods": .array(pods.map { p in
            var o: JSON = ["podRef": ["name": .string(p.podRef.name), "namespace": .string(p.podRef.namespace), "uid": .string(p.podRef.uid)],
                           "startTime": .string(Timestamp.format(p.startTime)), "containers": .array(p.containers.map(Self.json))]
            if let c = p.cpu { o["cpu"] = Self.json(c) }
            if let m = p.memory { o["memory"] = Self.json(m) }
            return o
        })]
    }

    static func int(_ v: UInt64) -> JSON { .int(Int64(clamping: v)) }

    static func json(_ c: Container) -> JSON {
        var o: JSON = ["name": .string(c.name), "startTime": .string(Timestamp.format(c.startTime))]
        if let cpu = c.cpu { o["cpu"] = json(cpu) }
        if let m = c.memory { o["memory"] = json(m) }
        return o
    }

    static func json(_ c: CPU) -> JSON {
        var o: JSON = ["time": .string(Timestamp.format(c.time)), "usageCoreNanoSeconds": int(c.usageCoreNanoSeconds)]
        if let n = c.usageNanoCores { o["usageNanoCores"] = int(n) }
        return o
    }

    static func json(_ m: Memory) -> JSON {
        var o: JSON = ["time": .string(Timestamp.format(m.time)), "usageBytes": int(m.usageBytes),
                       "workingSetBytes": int(m.workingSetBytes), "rssBytes": int(m.rssBytes),
                       "pageFaults": int(m.pageFaults), "majorPageFaults": int(m.majorPageFaults)]
        if let a = m.availableBytes { o["availableBytes"] = int(a) }
        return o
    }

    static func json(_ f: Fs) -> JSON {
        ["time": .string(Timestamp.format(f.time)), "availableBytes": int(f.usage.availableBytes),
         "capacityBytes": int(f.usage.capacityBytes), "usedBytes": int(f.usage.usedBytes),
         "inodesFree": int(f.usage.inodesFree), "inodes": int(f.usage.inodes), "inodesUsed": int(f.usage.inodesUsed)]
    }
}
