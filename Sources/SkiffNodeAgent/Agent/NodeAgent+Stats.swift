import Foundation
import SkiffModel

/// `/stats/summary` and `/metrics/resource` report the Pods the agent's workers run.
extension NodeAgent: KubeletStatsBackend {
    /// The parent of every Pod's cgroup (`/skiff`).
    static let podsCgroupPath = (PodCgroups.podPath(podUID: "x") as NSString).deletingLastPathComponent

    public func statsInventory() async -> StatsInventory {
        let all = workers.withLock { Array($0.values) }
        var pods: [StatsInventory.Pod] = []
        for w in all {
            if let p = await w.statsPod() { pods.append(p) }
        }
        pods.sort { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        return StatsInventory(nodeName: configuration.nodeName, rootDirectory: configuration.dataDir,
                              imagesDirectory: configuration.imagesDir ?? configuration.dataDir + "/images",
                              podsCgroupPath: Self.podsCgroupPath, pods: pods)
    }
}

extension PodWorker {
    /// The Pod with its running containers, nil before it started (no sandbox, no start time).
    func statsPod() -> StatsInventory.Pod? {
        guard let startTime, sandbox != nil else { return nil }
        let containers = (inits + apps).compactMap { r -> StatsInventory.Container? in
            guard case .running(let at) = r.state else { return nil }
            return .init(name: r.name, startTime: at, cgroupPath: PodCgroups.containerPath(podUID: uid, container: r.name))
        }
        return .init(name: name, namespace: namespace, uid: uid, startTime: startTime,
                     cgroupPath: PodCgroups.podPath(podUID: uid), containers: containers)
    }
}
