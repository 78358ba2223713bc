import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Deletes Pods bound to nodes with `NoExecute` taints they do not tolerate (kube-controller-
/// manager's taint-eviction controller, once the "taint manager").
///
/// For each Pod on a node with NoExecute taints: if some taint has no matching toleration, or a
/// matching toleration has `tolerationSeconds` <= 0, the Pod is deleted at once; otherwise, when
/// a matching toleration has `tolerationSeconds`, the smallest of them after the controller
/// first saw the Pod so exposed; tolerations without `tolerationSeconds` keep it forever. A
/// deletion is cancelled when the taints go or become tolerated. Before deleting, the Pod gets
/// the `DisruptionTarget` condition (reason `DeletionByTaintManager`).
///
/// Events on the Pod: `TaintManagerEviction` "Marking for deletion Pod ns/name", and
/// "Cancelling deletion of Pod ns/name".
public final class TaintEvictionController: Sendable {
    public struct Configuration: Sendable {
        /// Pods handled at once. Default 8.
        public var workers = 8

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let nodes: Lister
    let pods: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let events: EventRecorder
    let clock: any TimeSource
    let wallClock: @Sendable () -> Double
    let logger: Logger
    /// Pod key -> (uid, when its eviction was scheduled, on `clock`).
    let scheduled = Mutex<[String: (uid: String, since: Duration)]>([:])

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let nodeInformer = informers.informer(for: .nodes)
        let podInformer = informers.informer(for: .pods)
        nodes = nodeInformer.lister
        pods = podInformer.lister
        synced = [nodeInformer, podInformer]
        let queue = WorkQueue<String>(name: "taint-eviction", clock: clock)
        self.queue = queue
        self.events = events
        self.clock = clock
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "taint-eviction"
        self.logger = logger
        podInformer.addEventHandler(EventHandler(
            onAdd: { pod in if pod["spec", "nodeName"]?.string != nil { await queue.add(ObjectKey.of(pod)) } },
            onUpdate: { old, new in
                if new["spec", "nodeName"]?.string != nil,
                   old["spec", "nodeName"] != new["spec", "nodeName"] || old["spec", "tolerations"] != new["spec", "tolerations"]
                    || old["metadata", "uid"] != new["metadata", "uid"] || new.isBeingDeleted {
                    await queue.add(ObjectKey.of(new))
                }
            },
            onDelete: { await queue.add(ObjectKey.of($0)) }))
        let podLister = pods
        nodeInformer.addEventHandler(EventHandler(
            onAdd: { node in
                guard !Taints.noExecute(node).isEmpty else { return }
                for pod in Self.podsOn(node.objectName, podLister) { await queue.add(ObjectKey.of(pod)) }
            },
            onUpdate: { old, new in
                guard Taints.noExecute(old) != Taints.noExecute(new) else { return }
                for pod in Self.podsOn(new.objectName, podLister) { await queue.add(ObjectKey.of(pod)) }
            }))
    }

    static func podsOn(_ node: String, _ pods: Lister) -> [JSON] {
        pods.list().filter { $0["spec", "nodeName"]?.string == node }
    }

    /// Waits for the caches, then handles Pods until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "taint-eviction", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// Decides about the Pod at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard let pod = pods.get(key: key), !pod.isBeingDeleted, let nodeName = pod["spec", "nodeName"]?.string,
              let node = nodes.get(name: nodeName) else {
            cancel(key, pod: nil)
            return
        }
        let now = clock.now()
        switch EvictionDelay.of(pod: pod, taints: Taints.noExecute(node)) {
        case .never:
            cancel(key, pod: pod)
        case .now:
            try await evict(key, pod)
        case .after(let seconds):
            let since = scheduled.withLock { s in
                if let e = s[key], e.uid == pod.objectUID { return e.since }
                s[key] = (pod.objectUID, now)
                return now
            }
            let due = since + .seconds(seconds)
            if now >= due {
                try await evict(key, pod)
            } else {
                await queue.addAfter(key, due - now)
            }
        }
    }

    func cancel(_ key: String, pod: JSON?) {
        let was = scheduled.withLock { $0.removeValue(forKey: key) }
        if was != nil, let pod {
            events.event(pod, reason: "TaintManagerEviction", message: "Cancelling deletion of Pod \(key)")
        }
    }

    func evict(_ key: String, _ pod: JSON) async throws {
        events.event(pod, reason: "TaintManagerEviction", message: "Marking for deletion Pod \(key)")
        var conditions = pod["status", "conditions"]?.array ?? []
        if !conditions.contains(where: { $0["type"]?.string == "DisruptionTarget" && $0["status"]?.string == "True" }) {
            conditions.removeAll { $0["type"]?.string == "DisruptionTarget" }
            conditions.append(["type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                               "message": "Taint manager: deleting due to NoExecute taint",
                               "lastTransitionTime": .string(Timestamp.format(wallClock()))])
            var updated = pod
            updated["status", "conditions"] = .array(conditions)
            do {
                _ = try await client.updateStatus(.pods, updated)
            } catch let e as APIError where e.isNotFound {
                return
            }
        }
        do {
            _ = try await client.delete(.pods, namespace: pod.objectNamespace, name: pod.objectName,
                                        options: .init(preconditionUID: pod.objectUID))
        } catch let e as APIError where e.isNotFound || e.isConflict {
        }
        _ = scheduled.withLock { $0.removeValue(forKey: key) }
    }
}
