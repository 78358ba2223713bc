/// What the agent's server (`KubeletServer`) needs to serve `/stats/summary` and
/// `/metrics/resource`: the node and the Pods it runs, with their cgroups.
///
/// A `KubeletStreamingBackend` that also conforms to this protocol gets those endpoints; the
/// server reads the cgroups itself (`StatsCollector`).
public protocol KubeletStatsBackend: Sendable {
    func statsInventory() async -> StatsInventory
}

/// The node and its running Pods, as the stats are reported for them.
public struct StatsInventory: Sendable, Equatable {
    public struct Container: Sendable, Equatable {
        public var name: String
        /// When its current run started (seconds since the epoch).
        public var startTime: Double
        /// The cgroup path runc was given.
        public var cgroupPath: String

        public init(name: String, startTime: Double, cgroupPath: String) {
            self.name = name
            self.startTime = startTime
            self.cgroupPath = cgroupPath
        }
    }

    public struct Pod: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var uid: String
        public var startTime: Double
        /// The Pod's parent cgroup, holding its containers' cgroups.
        public var cgroupPath: String
        /// The running containers (init and app).
        public var containers: [Container]

        public init(name: String, namespace: String, uid: String, startTime: Double, cgroupPath: String, containers: [Container]) {
            self.name = name
            self.namespace = namespace
            self.uid = uid
            self.startTime = startTime
            self.cgroupPath = cgroupPath
            self.containers = containers
        }
    }

    public var nodeName: String
    /// The agent's data directory: its file system is the node's `fs`.
    public var rootDirectory: String
    /// The image store: its file system and use are `runtime.imageFs`.
    public var imagesDirectory: String
    /// The cgroup every Pod's cgroup is under (the `pods` system container).
    public var podsCgroupPath: String
    public var pods: [Pod]

    public init(nodeName: String, rootDirectory: String, imagesDirectory: String, podsCgroupPath: String, pods: [Pod]) {
        self.nodeName = nodeName
        self.rootDirectory = rootDirectory
        self.imagesDirectory = imagesDirectory
        self.podsCgroupPath = podsCgroupPath
        self.pods = pods
    }
}
