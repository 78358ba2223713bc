import Foundation
import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// The node agent (the kubelet's core): registers this machine as a Node, keeps its Lease
/// renewed and its status current, and runs the Pods bound to it as OCI containers through runc.
///
/// - Each Pod gets a `PodWorker`: sandbox namespaces, the Pod network (`PodNetwork`), volumes
///   (`VolumeProvider`), images, init containers in order, then the app containers supervised
///   with the restart policy and crash back-off; status is written through the status
///   subresource; deletion is graceful (preStop, SIGTERM, SIGKILL after the grace period) and
///   ends with the Pod deleted with `gracePeriodSeconds=0`, as the kubelet does.
/// - Restart safe: on start, containers found in the runtime whose Pod is still bound here are
///   adopted (not restarted); those of Pods that are gone are removed with everything they used.
/// - `run()` returns when its task is cancelled; containers keep running (as with the kubelet).
///
/// ```swift
/// let agent = try NodeAgent(configuration: .init(nodeName: "node-1", dataDir: "/var/lib/skiff"), client: client, logger: logger)
/// try await agent.run()
/// ```
public final class NodeAgent: Sendable {
    public struct Configuration: Sendable {
        public var nodeName: String
        /// Pods (`pods/<uid>`: namespaces, logs, volumes), runc state, bundles and images live here.
        public var dataDir: String
        /// The runc binary; default: `runc` on PATH.
        public var runcPath: String?
        /// The node's InternalIP; default: the first non-loopback IPv4 address, else 127.0.0.1.
        public var nodeIP: String?
        /// The image store's directory; default `<dataDir>/images` (what `skiff image` uses).
        public var imagesDir: String?
        /// Registries (HOST:PORT) reached over plain HTTP.
        public var insecureRegistries: [String] = []
        public var maxPods = 110
        public var kubeletVersion = "v1.33.0"
        public var leaseDurationSeconds: Int64 = 40
        /// Default 10 s, as the kubelet.
        public var leaseRenewInterval: Duration = .seconds(10)
        /// How often the node status (conditions' heartbeats) is written. Default 60 s.
        public var statusUpdateInterval: Duration = .seconds(60)
        /// The cluster DNS server IPs for `dnsPolicy: ClusterFirst` Pods (the kubelet's
        /// `--cluster-dns`); empty: such Pods get the node's resolv.conf, with a warning event.
        public var clusterDNS: [String] = []
        public var clusterDomain = "cluster.local"
        /// The node's resolver configuration (`dnsPolicy: Default`).
        public var hostResolvConf = "/etc/resolv.conf"
        /// Image garbage collection runs every `imageGCPeriod` once the data directory's file system
        /// is this full (the kubelet's `imageGCHighThresholdPercent`).
        public var imageGCHighThresholdPercent = 85
        public var imageGCPeriod: Duration = .seconds(300)
        /// Extra labels for the Node.
        public var labels: [String: String] = [:]
        /// The node's Pod address ranges (kubelet's `--pod-cidr`), written to `spec.podCIDRs`;
        /// empty: Pods get only loopback.
        public var podCIDRs: [String] = []
        /// Where the agent's API (`KubeletServer`) listens, reported in `daemonEndpoints`.
        public var kubeletPort = 10250

        public init(nodeName: String, dataDir: String) {
            self.nodeName = nodeName
            self.dataDir = dataDir
        }
    }

    public let configuration: Configuration
    let client: Client
    let logger: Logger
    let runtime: RuncRuntime
    let images: ImageStore
    let registry: RegistryClient
    let network: any PodNetwork
    let volumes: any VolumeProvider
    let events: EventWriter
    let pods: Informer
    let nodeIP: String
    let workers = Mutex<[String: PodWorker]>([:])
    /// Set once containers found at start were adopted or removed: Pod events wait for it.
    let adopted = Mutex<[String: [ContainerID]]?>(nil)
    let nodeUID = Mutex<String?>(nil)
    let spawned: AsyncStream<PodWorker>
    let spawnedIn: AsyncStream<PodWorker>.Continuation

    /// `network` defaults to CNI networking on `configuration.podCIDRs` (loopback only when
    /// there are none); `volumes` to every volume type, read from the API server.
    public init(configuration: Configuration, client: Client, network: (any PodNetwork)? = nil,
                volumes: (any VolumeProvider)? = nil, logger: Logger) throws {
        self.configuration = configuration
        self.client = client
        var logger = logger
        logger[metadataKey: "component"] = "agent"
        self.logger = logger
        try FileSystem.makeDirectories(configuration.dataDir + "/pods")
        runtime = try RuncRuntime(dataDir: configuration.dataDir, runcPath: configuration.runcPath)
        images = try ImageStore(root: configuration.imagesDir ?? configuration.dataDir + "/images")
        registry = RegistryClient(configuration: .init(insecureRegistries: Set(configuration.insecureRegistries)))
        if let network {
            self.network = network
        } else if configuration.podCIDRs.isEmpty {
            self.network = LoopbackOnlyNetwork()
        } else {
            self.network = try CNINetwork(configuration: .init(podCIDRs: configuration.podCIDRs,
                                                               dataDirectory: configuration.dataDir + "/cni"))
        }
        self.volumes = volumes ?? ClusterVolumes(podsDirectory: configuration.dataDir + "/pods", client: client,
                                                 nodeName: configuration.nodeName)
        nodeIP = configuration.nodeIP ?? NodeStatus.defaultIP()
        (spawned, spawnedIn) = AsyncStream<PodWorker>.makeStream()
        events = EventWriter(client: client, node: configuration.nodeName, logger: logger)
        let mine = FieldSelector(requirements: [.init(field: "spec.nodeName", op: .equals, value: configuration.nodeName)])
        pods = Informer(client: client, configuration: .init(resource: .pods, fieldSelector: mine), logger: logger)
        pods.addEventHandler(EventHandler(
            onAdd: { [self] in podChanged($0) },
            onUpdate: { [self] in podChanged($1) },
            onDelete: { [self] in podGone($0) }))
    }

    /// Registers the Node, adopts or removes the containers found, then runs Pods until cancelled.
    public func run() async throws {
        logger.info("node agent starting", metadata: ["node": "\(configuration.nodeName)", "ip": "\(nodeIP)"])
        let runtimeVersion = await runcVersion()
        while true {
            do {
                try await register(runtimeVersion: runtimeVersion)
                break
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning("node registration failed; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
        await renewLease()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.events.run() }
            group.addTask { try await self.pods.run() }
            group.addTask { try await self.every(self.configuration.leaseRenewInterval) { await self.renewLease() } }
            group.addTask {
                try await self.every(self.configuration.statusUpdateInterval) { await self.heartbeat(runtimeVersion: runtimeVersion) }
            }
            group.addTask { try await self.every(self.configuration.imageGCPeriod) { await self.collectImages() } }
            try await pods.waitForSync()
            await adoptOrRemove()
            for pod in pods.lister.list() { podChanged(pod) }
            logger.info("node agent ready", metadata: ["node": "\(configuration.nodeName)", "pods": "\(pods.lister.count)"])
            // Each Pod's worker runs in this group: cancelling `run()` stops them (not the containers).
            await withTaskCancellationHandler {
                for await worker in spawned { group.addTask { await worker.run() } }
            } onCancel: {
                spawnedIn.finish()
            }
            throw CancellationError()
        }
    }

    func every(_ interval: Duration, _ body: @escaping @Sendable () async -> Void) async throws {
        while true {
            try await Task.sleep(for: interval)
            await body()
        }
    }

    var podsDir: String { configuration.dataDir + "/pods" }
    func podDir(_ uid: String) -> String { "\(podsDir)/\(uid)" }

    // MARK: Pod events

    /// Hands the Pod to its worker, making one for a Pod seen the first time.
    func podChanged(_ pod: JSON) {
        guard let uid = pod["metadata", "uid"]?.string, !uid.isEmpty,
              pod["spec", "nodeName"]?.string == configuration.nodeName,
              let found = adopted.withLock({ $0 }) else { return }
        let (worker, isNew): (PodWorker, Bool) = workers.withLock { w in
            if let existing = w[uid] { return (existing, false) }
            let created = PodWorker(agent: self, pod: pod, adopted: found[uid] ?? [])
            w[uid] = created
            return (created, true)
        }
        worker.update(pod)
        if isNew { spawnedIn.yield(worker) }
    }

    /// The Pod is gone from the API (deleted with grace 0 or by someone else): its worker
    /// stops what is left without writing to the API again.
    func podGone(_ pod: JSON) {
        guard let uid = pod["metadata", "uid"]?.string else { return }
        workers.withLock { $0[uid] }?.gone()
    }

    /// Called by a worker once everything of its Pod is removed.
    func workerFinished(uid: String) {
        workers.withLock { _ = $0.removeValue(forKey: uid) }
    }
}
