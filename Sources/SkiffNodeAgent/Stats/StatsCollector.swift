import Foundation
import Glibc
import Synchronization

/// Builds the Summary from the cgroups and the machine, and keeps the previous CPU samples that
/// `usageNanoCores` is computed against (the kubelet's CRI stats provider does the same).
///
/// `sample(_:)` is called every 10 s by `KubeletServer` so a rate is there at the first request;
/// each `summary(_:)` also records a sample. A rate is taken over at least `minimumInterval`
/// (shorter windows are too noisy), against the newest sample that old; a counter that went
/// down (a cgroup made anew) has no rate until the next sample.
///
/// ```swift
/// let collector = StatsCollector()
/// let summary = collector.summary(await backend.statsInventory())
/// ```
public final class StatsCollector: Sendable {
    public let cgroups: CgroupReader
    public let host: HostReader
    public let minimumInterval: Double
    /// How long the image store's measured use is reused (walking it is not free).
    public let imageUsageTTL: Double
    let clock: @Sendable () -> Double

    struct Sample { var time: Double; var value: UInt64 }
    let cpuSamples = Mutex<[String: [Sample]]>([:])
    let imageUsage = Mutex<(path: String, time: Double, bytes: UInt64, inodes: UInt64)?>(nil)

    public init(cgroups: CgroupReader = .detect(), host: HostReader = HostReader(), minimumInterval: Double = 1,
                imageUsageTTL: Double = 30, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.cgroups = cgroups
        self.host = host
        self.minimumInterval = minimumInterval
        self.imageUsageTTL = imageUsageTTL
        self.clock = clock
    }

    /// Records a CPU sample of everything in `inventory` (the periodic sampler).
    public func sample(_ inventory: StatsInventory) {
        _ = summary(inventory)
    }

    /// The Summary now. Pods and containers whose cgroups are gone are reported without stats.
    public func summary(_ inventory: StatsInventory) -> StatsSummary {
        let now = clock()
        var seen = Set<String>()
        func cpu(_ key: String, _ value: UInt64?) -> StatsSummary.CPU? {
            guard let value else { return nil }
            seen.insert(key)
            return StatsSummary.CPU(time: now, usageNanoCores: rate(key, value, now), usageCoreNanoSeconds: value)
        }
        func memory(_ path: String) -> StatsSummary.Memory? {
            cgroups.memory(path).map { StatsSummary.Memory(time: now, $0) }
        }
        let nodeMemory = host.memory()
        var node = StatsSummary.Node(
            nodeName: inventory.nodeName, startTime: host.bootTime() ?? now, systemContainers: [],
            cpu: cpu("node", host.cpuUsageNanoseconds()),
            memory: nodeMemory.map { StatsSummary.Memory(time: now, $0.memory, available: $0.availableBytes) },
            fs: HostReader.fileSystem(inventory.rootDirectory).map { StatsSummary.Fs(time: now, usage: $0) },
            imageFs: imageFs(inventory.imagesDirectory, now),
            rlimit: host.processLimits().map { (time: now, maxPID: $0.maxPID, processes: $0.processes) })
        if cgroups.exists(inventory.podsCgroupPath) {
            node.systemContainers.append(StatsSummary.Container(
                name: "pods", startTime: createdAt(inventory.podsCgroupPath) ?? node.startTime,
                cpu: cpu("sys/pods", cgroups.cpuUsageNanoseconds(inventory.podsCgroupPath)), memory: memory(inventory.podsCgroupPath)))
        }
        let pods = inventory.pods.map { p in
            StatsSummary.Pod(
                podRef: .init(name: p.name, namespace: p.namespace, uid: p.uid), startTime: p.startTime,
                containers: p.containers.map { c in
                    StatsSummary.Container(name: c.name, startTime: c.startTime,
                                           cpu: cpu("pod/\(p.uid)/\(c.name)", cgroups.cpuUsageNanoseconds(c.cgroupPath)),
                                           memory: memory(c.cgroupPath))
                },
                cpu: cpu("pod/\(p.uid)", cgroups.cpuUsageNanoseconds(p.cgroupPath)), memory: memory(p.cgroupPath))
        }
        cpuSamples.withLock { s in s = s.filter { seen.contains($0.key) } }
        return StatsSummary(node: node, pods: pods)
    }

    /// Nanocores since the newest sample at least `minimumInterval` old; records this one.
    func rate(_ key: String, _ value: UInt64, _ now: Double) -> UInt64? {
        cpuSamples.withLock { all in
            var list = all[key] ?? []
            let ref = list.last { now - $0.time >= minimumInterval }
            list.append(Sample(time: now, value: value))
            if let ref { list.removeAll { $0.time < ref.time } }
            if list.count > 64 { list.removeFirst(list.count - 64) }
            all[key] = list
            guard let ref, value >= ref.value else { return nil }
            return UInt64((Double(value - ref.value) / (now - ref.time)).rounded())
        }
    }

    /// The image store's file system, with `usedBytes` and `inodesUsed` what the store itself uses.
    func imageFs(_ path: String, _ now: Double) -> StatsSummary.Fs? {
        guard var fs = HostReader.fileSystem(path) else { return nil }
        let ttl = imageUsageTTL
        let cached: (bytes: UInt64, inodes: UInt64)? = imageUsage.withLock { c in
            guard let c, c.path == path, now - c.time < ttl else { return nil }
            return (c.bytes, c.inodes)
        }
        let (bytes, inodes) = cached ?? HostReader.directoryUsage(path)
        if cached == nil { imageUsage.withLock { $0 = (path: path, time: now, bytes: bytes, inodes: inodes) } }
        fs.usedBytes = bytes
        fs.inodesUsed = inodes
        return StatsSummary.Fs(time: now, usage: fs)
    }

    /// When a cgroup was made (its directory's change time).
    func createdAt(_ path: String) -> Double? {
        var st = stat()
        guard stat(cgroups.cpuDirectory(path), &st) == 0 else { return nil }
        return Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) / 1e9
    }
}
