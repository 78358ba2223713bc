import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Deletes Pods nobody else will (kube-controller-manager's pod garbage collector), every
/// `period`, always forcibly (grace period 0) after moving a Pod that is not finished to phase
/// `Failed`:
///
/// - terminated Pods (Succeeded or Failed) beyond `terminatedPodThreshold`, evicted ones first,
///   then oldest first (0 or less keeps them all);
/// - orphaned Pods, bound to a node that does not exist, once the node has been missing for
///   `quarantine` and the API server confirms it is gone (condition `DisruptionTarget`,
///   `DeletionByPodGC`, "PodGC: node no longer exists");
/// - terminating Pods on a node that is not Ready and has the `node.kubernetes.io/out-of-service`
///   taint;
/// - terminating Pods that were never scheduled.
public final class PodGCController: Sendable {
    public struct Configuration: Sendable {
        /// Default 12,500 (`--terminated-pod-gc-threshold`).
        public var terminatedPodThreshold = 12_500
        /// Default 20 s (`gcCheckPeriod`).
        public var period: Duration = .seconds(20)
        /// How long a node must be missing before its Pods count as orphaned. Default 40 s.
        public var quarantine: Duration = .seconds(40)

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let pods: Lister
    let nodes: Lister
    let synced: [Informer]
    let clock: any TimeSource
    let wallClock: @Sendable () -> Double
    let logger: Logger
    /// Node name -> when it was first seen missing.
    let missingSince = Mutex<[String: Duration]>([:])

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let podInformer = informers.informer(for: .pods)
        let nodeInformer = informers.informer(for: .nodes)
        pods = podInformer.lister
        nodes = nodeInformer.lister
        synced = [podInformer, nodeInformer]
        self.clock = clock
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "pod-garbage-collector"
        self.logger = logger
    }

    /// Waits for the caches, then collects every `period` until cancelled.
    public func run() async throws {
        for informer in synced { try await informer.waitForSync() }
        while true {
            try await clock.sleep(for: configuration.period)
            await collect()
        }
    }

    /// One pass; see the type's documentation. Failures are logged and retried next pass.
    public func collect() async {
        let all = pods.list()
        await collectTerminated(all)
        await collectTerminating(all)
        await collectOrphaned(all)
        await collectUnscheduledTerminating(all)
    }

    static func isTerminated(_ pod: JSON) -> Bool {
        let phase = pod["status", "phase"]?.string ?? "Pending"
        return !["Pending", "Running", "Unknown"].contains(phase)
    }

    func collectTerminated(_ all: [JSON]) async {
        guard configuration.terminatedPodThreshold > 0 else { return }
        let terminated = all.filter(Self.isTerminated)
        let excess = terminated.count - configuration.terminatedPodThreshold
        guard excess > 0 else { return }
        let ordered = terminated.sorted { a, b in
            let ea = a["status", "reason"]?.string == "Evicted", eb = b["status", "reason"]?.string == "Evicted"
            if ea != eb { return ea }
            if a.creationSeconds != b.creationSeconds { return a.creationSeconds < b.creationSeconds }
            return ObjectKey.of(a) < ObjectKey.of(b)
        }
        logger.info("garbage collecting terminated pods", metadata: ["count": "\(excess)"])
        for pod in ordered.prefix(excess) { await forceDelete(pod, condition: nil) }
    }

    func collectTerminating(_ all: [JSON]) async {
        for pod in all where pod.isBeingDeleted {
            guard let nodeName = pod["spec", "nodeName"]?.string, let node = nodes.get(name: nodeName),
                  NodeConditions.ready(node) != "True",
                  (node["spec", "taints"]?.array ?? []).contains(where: {
                      $0["key"]?.string == "node.kubernetes.io/out-of-service" && $0["effect"]?.string == "NoExecute" })
            else { continue }
            await forceDelete(pod, condition: nil)
        }
    }

    func collectOrphaned(_ all: [JSON]) async {
        let now = clock.now()
        let existing = Set(nodes.list().map(\.objectName))
        var missing = Set<String>()
        for pod in all {
            if let n = pod["spec", "nodeName"]?.string, !n.isEmpty, !existing.contains(n) { missing.insert(n) }
        }
        let due: [String] = missingSince.withLock { m in
            m = m.filter { missing.contains($0.key) }
            for n in missing where m[n] == nil { m[n] = now }
            return m.filter { now - $0.value >= configuration.quarantine }.map(\.key).sorted()
        }
        for nodeName in due {
            do {
                _ = try await client.get(.nodes, name: nodeName)
                continue  // it exists after all: the cache was behind
            } catch let e as APIError where e.isNotFound {
            } catch {
                logger.warning("node lookup failed", metadata: ["node": "\(nodeName)", "error": "\(error)"])
                continue
            }
            for pod in all where pod["spec", "nodeName"]?.string == nodeName {
                await forceDelete(pod, condition: ["type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                                                   "message": "PodGC: node no longer exists"])
            }
            _ = missingSince.withLock { $0.removeValue(forKey: nodeName) }
        }
    }

    func collectUnscheduledTerminating(_ all: [JSON]) async {
        for pod in all where pod.isBeingDeleted && (pod["spec", "nodeName"]?.string ?? "").isEmpty {
            await forceDelete(pod, condition: nil)
        }
    }

    /// Phase Failed (with `condition`) unless finished, then delete with grace period 0.
    func forceDelete(_ pod: JSON, condition: JSON?) async {
        let phase = pod["status", "phase"]?.string
        do {
            if phase != "Succeeded" && phase != "Failed" {
                var updated = pod
                updated["status", "phase"] = "Failed"
                if var condition {
                    condition["lastTransitionTime"] = .string(Timestamp.format(wallClock()))
                    var conditions = (pod["status", "conditions"]?.array ?? []).filter { $0["type"] != condition["type"] }
                    conditions.append(condition)
                    updated["status", "conditions"] = .array(conditions)
                }
                _ = try await client.updateStatus(.pods, updated)
            }
            logger.info("force deleting pod", metadata: ["k8s.namespace": "\(pod.objectNamespace)", "k8s.name": "\(pod.objectName)"])
            _ = try await client.delete(.pods, namespace: pod.objectNamespace, name: pod.objectName,
                                        options: .init(gracePeriodSeconds: 0, preconditionUID: pod.objectUID))
        } catch let e as APIError where e.isNotFound || e.isConflict {
        } catch {
            logger.warning("pod garbage collection failed", metadata: ["k8s.namespace": "\(pod.objectNamespace)",
                                                                       "k8s.name": "\(pod.objectName)", "error": "\(error)"])
        }
    }
}
