import Foundation
import Synchronization
import Testing
@testable import SkiffNodeAgent

/// The cgroup and /proc readers behind `/stats/summary`, on fake trees in a temporary directory.
@Suite struct StatsCgroupTests {
    static func write(_ dir: String, _ files: [String: String]) throws {
        for (name, text) in files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    static let v1Stat = """
    cache 4096
    rss 1000
    inactive_file 1
    total_cache 300000
    total_rss 700000
    total_inactive_file 200000
    total_pgfault 55
    total_pgmajfault 3

    """

    @Test func readsCgroupV1() async throws {
        try await withTemporaryDirectory { root in
            let pod = "/skiff/podabc"
            try Self.write(root, [
                "cpu,cpuacct\(pod)/main/cpuacct.usage": "123456789\n",
                "memory\(pod)/main/memory.usage_in_bytes": "1000000\n",
                "memory\(pod)/main/memory.limit_in_bytes": "9223372036854771712\n",
                "memory\(pod)/main/memory.stat": Self.v1Stat,
                "memory\(pod)/memory.usage_in_bytes": "100\n",
                "memory\(pod)/memory.limit_in_bytes": "52428800\n",
                "memory\(pod)/memory.stat": "total_inactive_file 500\n",
            ])
            let r = CgroupReader(root: root, mode: .v1)
            #expect(r.exists("\(pod)/main"))
            #expect(!r.exists("\(pod)/gone"))
            #expect(r.cpuUsageNanoseconds("\(pod)/main") == 123_456_789)
            #expect(r.cpuUsageNanoseconds("\(pod)/gone") == nil)
            let m = try #require(r.memory("\(pod)/main"))
            #expect(m == CgroupReader.Memory(usageBytes: 1_000_000, workingSetBytes: 800_000, rssBytes: 700_000,
                                             pageFaults: 55, majorPageFaults: 3, limitBytes: nil))
            // Inactive file pages above usage floor the working set at zero; a limit is read.
            let p = try #require(r.memory(pod))
            #expect(p.workingSetBytes == 0 && p.limitBytes == 52_428_800)
            #expect(r.memory("\(pod)/gone") == nil)
        }
    }

    @Test func readsCgroupV2() async throws {
        try await withTemporaryDirectory { root in
            try Self.write(root, [
                "cgroup.controllers": "cpu memory pids\n",
                "skiff/podx/c/cpu.stat": "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n",
                "skiff/podx/c/memory.current": "3000000\n",
                "skiff/podx/c/memory.max": "max\n",
                "skiff/podx/c/memory.stat": "anon 2000000\nfile 1000000\ninactive_file 400000\npgfault 9\npgmajfault 1\n",
                "skiff/podx/memory.current": "3100000\n",
                "skiff/podx/memory.max": "4194304\n",
                "skiff/podx/memory.stat": "anon 2000000\ninactive_file 100000\n",
            ])
            let r = CgroupReader.detect(root: root)
            #expect(r.mode == .v2)
            #expect(r.cpuUsageNanoseconds("/skiff/podx/c") == 2_500_000)
            #expect(r.memory("/skiff/podx/c") == CgroupReader.Memory(usageBytes: 3_000_000, workingSetBytes: 2_600_000, rssBytes: 2_000_000,
                                                                     pageFaults: 9, majorPageFaults: 1, limitBytes: nil))
            let pod = try #require(r.memory("/skiff/podx"))
            #expect(pod.limitBytes == 4_194_304)
            // The Summary's availableBytes is the limit less the working set.
            #expect(StatsSummary.Memory(time: 0, pod).availableBytes == 4_194_304 - 3_000_000)
        }
    }

    @Test func detectsV1WhenControllersAreSeparate() async throws {
        try await withTemporaryDirectory { root in
            try Self.write(root, ["cpuacct/skiff/cpuacct.usage": "7\n"])
            let r = CgroupReader.detect(root: root)
            #expect(r.mode == .v1)
            #expect(r.cpuUsageNanoseconds("/skiff") == 7)
        }
    }

    @Test func readsHostTotals() async throws {
        try await withTemporaryDirectory { proc in
            try Self.write(proc, [
                "stat": "cpu  100 20 30 1000 50 5 5 2 0 0\ncpu0 100 20 30 1000 50 5 5 2 0 0\nbtime 1700000000\n",
                "meminfo": "MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\nInactive(file):  300 kB\nAnonPages:       250 kB\n",
                "vmstat": "pgfault 77\npgmajfault 4\n",
                "sys/kernel/pid_max": "4194304\n",
                "1/stat": "", "22/stat": "", "self/stat": "",
            ])
            let h = HostReader(procRoot: proc)
            let hz = UInt64(sysconf(Int32(_SC_CLK_TCK)))
            // user + nice + system + irq + softirq + steal; idle and iowait are not busy.
            #expect(h.cpuUsageNanoseconds() == 162 * (1_000_000_000 / hz))
            #expect(h.bootTime() == 1_700_000_000)
            let (m, available) = try #require(h.memory())
            #expect(m.usageBytes == 800 * 1024 && m.workingSetBytes == 500 * 1024 && m.rssBytes == 250 * 1024)
            #expect(m.pageFaults == 77 && m.majorPageFaults == 4)
            #expect(available == 500 * 1024)
            let limits = try #require(h.processLimits())
            #expect(limits.maxPID == 4_194_304 && limits.processes == 2)
        }
    }

    @Test func measuresDirectories() async throws {
        try await withTemporaryDirectory { dir in
            try Self.write(dir, ["a/b": String(repeating: "x", count: 10000), "c": "y"])
            let (bytes, inodes) = HostReader.directoryUsage(dir)
            #expect(inodes == 4)
            #expect(bytes >= 10000)
            let fs = try #require(HostReader.fileSystem(dir))
            #expect(fs.capacityBytes > 0 && fs.usedBytes <= fs.capacityBytes && fs.inodesUsed + fs.inodesFree == fs.inodes)
        }
    }

    @Test func usageNanoCoresComesFromThePreviousSample() async throws {
        try await withTemporaryDirectory { root in
            try Self.write(root, ["cpuacct/skiff/pod1/main/cpuacct.usage": "1000000000\n", "cpuacct/skiff/pod1/cpuacct.usage": "1000000000\n"])
            let now = Mutex(100.0)
            let collector = StatsCollector(cgroups: CgroupReader(root: root, mode: .v1), host: HostReader(procRoot: root + "/noproc"),
                                           clock: { now.withLock { $0 } })
            let inventory = StatsInventory(
                nodeName: "n", rootDirectory: root, imagesDirectory: root, podsCgroupPath: "/skiff",
                pods: [.init(name: "p", namespace: "default", uid: "1", startTime: 50, cgroupPath: "/skiff/pod1",
                             containers: [.init(name: "main", startTime: 60, cgroupPath: "/skiff/pod1/main")])])
            let first = collector.summary(inventory)
            #expect(first.pods[0].containers[0].cpu?.usageNanoCores == nil)
            #expect(first.pods[0].containers[0].cpu?.usageCoreNanoSeconds == 1_000_000_000)
            #expect(first.node.cpu == nil && first.node.memory == nil)  // no /proc here
            // Half a core for 10 s.
            try Self.write(root, ["cpuacct/skiff/pod1/main/cpuacct.usage": "6000000000\n"])
            now.withLock { $0 = 110 }
            #expect(collector.summary(inventory).pods[0].containers[0].cpu?.usageNanoCores == 500_000_000)
            // Within the minimum interval the rate is still against the sample 10 s back.
            try Self.write(root, ["cpuacct/skiff/pod1/main/cpuacct.usage": "6100000000\n"])
            now.withLock { $0 = 110.5 }
            #expect(collector.summary(inventory).pods[0].containers[0].cpu?.usageNanoCores == 485_714_286)
            // A counter that went down (the container's cgroup made anew) has no rate.
            try Self.write(root, ["cpuacct/skiff/pod1/main/cpuacct.usage": "5\n"])
            now.withLock { $0 = 120 }
            #expect(collector.summary(inventory).pods[0].containers[0].cpu?.usageNanoCores == nil)
            // The pods system container is there; its cgroup has no memory files here.
            let s = collector.summary(inventory)
            #expect(s.node.systemContainers.map(\.name) == ["pods"])
            #expect(s.pods[0].memory == nil && s.pods[0].cpu?.usageCoreNanoSeconds == 1_000_000_000)
        }
    }
}
