import Logging
import SkiffClient
import SkiffModel

/// Writes the status of PodDisruptionBudgets (kube-controller-manager's disruption controller),
/// which the eviction subresource reads.
///
/// `reconcile(key)`: the Pods the budget's selector matches in its namespace (a missing
/// selector matches none; event `NoPods` "No matching pods found"); the expected count and
/// desired healthy number: `minAvailable` as an integer needs no controller (expected = the
/// Pods); a percentage `minAvailable` or any `maxUnavailable` is taken from the `spec.replicas`
/// of the Pods' controllers through their scale subresource (a ReplicaSet owned by a Deployment
/// counts as the Deployment), percentages rounding up; Pods without a controller are reported
/// (event `UnmanagedPods`). `disruptedPods` keeps the entries of Pods that still exist, are not
/// being deleted and were evicted less than 2 minutes ago (older ones: event `NotDeleted` on the
/// Pod), and the budget is looked at again when the next one expires. `currentHealthy` counts
/// Ready Pods neither being deleted nor in `disruptedPods`; `disruptionsAllowed` is
/// `currentHealthy - desiredHealthy` (0 when negative or nothing is expected), with the
/// `DisruptionAllowed` condition (`SufficientPods` / `InsufficientPods`) and
/// `observedGeneration`. A failure writes `disruptionsAllowed: 0` with reason `SyncFailed`.
public struct DisruptionController: Sendable {
    public struct Configuration: Sendable {
        public var workers = 2
        /// How long an evicted Pod may stay in `disruptedPods` before it must be gone. Default 2 min.
        public var deletionTimeout: Double = 120

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let budgets: Lister
    let pods: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let events: EventRecorder
    let wallClock: @Sendable () -> Double
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, events: EventRecorder,
                clock: any TimeSource = SystemTimeSource(), wallClock: @escaping @Sendable () -> Double = { Timestamp.now() },
                logger: Logger) {
        self.configuration = configuration
        self.client = client
        let budgetInformer = informers.informer(for: .podDisruptionBudgets)
        let podInformer = informers.informer(for: .pods)
        budgets = budgetInformer.lister
        pods = podInformer.lister
        synced = [budgetInformer, podInformer]
        let queue = WorkQueue<String>(name: "disruption", clock: clock)
        self.queue = queue
        self.events = events
        self.wallClock = wallClock
        var logger = logger
        logger[metadataKey: "controller"] = "disruption"
        self.logger = logger
        budgetInformer.addEventHandler(.enqueue(into: queue))
        let budgets = self.budgets
        @Sendable func podChanged(_ list: [JSON]) async {
            var keys = Set<String>()
            for pod in list {
                for pdb in budgets.list(namespace: pod.objectNamespace) where pdb.specSelector.matches(pod.objectLabels) {
                    keys.insert(ObjectKey.of(pdb))
                }
            }
            for key in keys { await queue.add(key) }
        }
        podInformer.addEventHandler(EventHandler(onAdd: { await podChanged([$0]) }, onUpdate: { await podChanged([$0, $1]) },
                                                 onDelete: { await podChanged([$0]) }))
    }

    public func run() async throws {
        try await ControllerRunner(name: "disruption", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// One pass over the budget at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard let pdb = budgets.get(key: key), !pdb.isBeingDeleted else { return }
        do {
            try await sync(pdb, key: key)
        } catch let e as APIError where e.isConflict || e.isNotFound {
            throw e
        } catch {
            try await failSafe(pdb, message: "\(error)")
            throw error
        }
    }

    func sync(_ pdb: JSON, key: String) async throws {
        let selected = pods.list(namespace: pdb.objectNamespace, selector: pdb.specSelector)
        if selected.isEmpty { events.event(pdb, reason: "NoPods", message: "No matching pods found") }
        let (expected, desired) = try await expectedCount(pdb, selected)
        let now = wallClock()
        let (disrupted, recheck) = disruptedPods(pdb, selected, now: now)
        let healthy = selected.filter { !$0.isBeingDeleted && disrupted[$0.objectName] == nil && PodState.isReady($0) }.count
        try await writeStatus(pdb, currentHealthy: healthy, desiredHealthy: desired, expected: expected, disrupted: disrupted)
        if let recheck { await queue.addAfter(key, .milliseconds(Int64(max(recheck - now, 0) * 1000) + 1)) }
    }

    /// (expectedPods, desiredHealthy) as `getExpectedPodCount`.
    func expectedCount(_ pdb: JSON, _ selected: [JSON]) async throws -> (Int, Int) {
        let minAvailable = pdb["spec", "minAvailable"]
        let maxUnavailable = pdb["spec", "maxUnavailable"]
        if let maxUnavailable, !maxUnavailable.isNull {
            let expected = try await expectedScale(pdb, selected)
            return (expected, max(expected - RolloutMath.scaledValue(maxUnavailable, total: expected, roundUp: true), 0))
        }
        if let minAvailable, let s = minAvailable.string, s.hasSuffix("%") {
            let expected = try await expectedScale(pdb, selected)
            return (expected, RolloutMath.scaledValue(minAvailable, total: expected, roundUp: true))
        }
        return (selected.count, Int(minAvailable?.int ?? 0))
    }

    /// The sum of `spec.replicas` of the selected Pods' controllers, read through their scale
    /// subresources (`getExpectedScale`).
    func expectedScale(_ pdb: JSON, _ selected: [JSON]) async throws -> Int {
        var seen = Set<String>()
        var unmanaged: [String] = []
        var total = 0
        for pod in selected {
            guard let ref = pod.controllerRef else {
                unmanaged.append(pod.objectName)
                continue
            }
            guard seen.insert(ref["uid"]?.string ?? "").inserted else { continue }
            guard let (resource, name) = try await scaleTarget(ref, namespace: pod.objectNamespace) else {
                throw DisruptionError(message: "found no controllers for pod \"\(pod.objectName)\"")
            }
            let scale: JSON
            do {
                scale = try await client.get(resource, namespace: pod.objectNamespace, name: name, subresource: "scale")
            } catch let e as APIError where e.isNotFound {
                throw DisruptionError(message: "found no controllers for pod \"\(pod.objectName)\"")
            }
            total += Int(scale["spec", "replicas"]?.int ?? 0)
        }
        if !unmanaged.isEmpty {
            events.event(pdb, type: .warning, reason: "UnmanagedPods",
                         message: "Pods selected by this PodDisruptionBudget (selector: \(pdb.specSelector)) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.")
        }
        return total
    }

    /// The workload whose scale counts for a Pod controller reference: a ReplicaSet's owning
    /// Deployment, else the ReplicaSet, StatefulSet, ReplicationController or any other kind
    /// discovery knows (its scale subresource must exist).
    func scaleTarget(_ ref: JSON, namespace: String) async throws -> (Resource, String)? {
        let name = ref["name"]?.string ?? ""
        switch (ref["apiVersion"]?.string ?? "", ref["kind"]?.string ?? "") {
        case ("apps/v1", "ReplicaSet"):
            let rs = try await client.get(.replicaSets, namespace: namespace, name: name)
            guard rs.objectUID == ref["uid"]?.string else { return nil }
            if let owner = rs.controllerRef, owner["kind"]?.string == "Deployment", owner["apiVersion"]?.string == "apps/v1",
               let d = owner["name"]?.string {
                return (.deployments, d)
            }
            return (.replicaSets, name)
        case ("apps/v1", "StatefulSet"):
            return (.statefulSets, name)
        case ("v1", "ReplicationController"):
            return (Resource(version: "v1", plural: "replicationcontrollers", kind: "ReplicationController", namespaced: true), name)
        case (let apiVersion, let kind):
            // Any other controller with a scale subresource (a custom resource, say), found through discovery.
            let parts = apiVersion.split(separator: "/")
            let group = parts.count == 2 ? String(parts[0]) : ""
            guard let resource = try await APIDiscovery.read(client).resource(group: group, kind: kind) else { return nil }
            return (resource, name)
        }
    }

    /// `buildDisruptedPodMap`: the entries still pending, and when the earliest expires.
    func disruptedPods(_ pdb: JSON, _ selected: [JSON], now: Double) -> (map: [String: String], recheck: Double?) {
        let recorded = pdb["status", "disruptedPods"]?.members ?? [:]
        var result: [String: String] = [:]
        var recheck: Double?
        for pod in selected where !pod.isBeingDeleted {
            guard let stamp = recorded[pod.objectName]?.string, let t = Timestamp.parse(stamp) else { continue }
            let expires = t + configuration.deletionTimeout
            if expires < now {
                events.event(pod, type: .warning, reason: "NotDeleted",
                             message: "Pod was expected by PDB \(pdb.objectNamespace)/\(pdb.objectName) to be deleted but it wasn't")
            } else {
                result[pod.objectName] = stamp
                recheck = min(recheck ?? expires, expires)
            }
        }
        return (result, recheck)
    }

    func writeStatus(_ pdb: JSON, currentHealthy: Int, desiredHealthy: Int, expected: Int, disrupted: [String: String]) async throws {
        var allowed = currentHealthy - desiredHealthy
        if expected <= 0 || allowed <= 0 { allowed = 0 }
        var status = pdb["status"] ?? [:]
        status["currentHealthy"] = .int(Int64(currentHealthy))
        status["desiredHealthy"] = .int(Int64(desiredHealthy))
        status["expectedPods"] = .int(Int64(expected))
        status["disruptionsAllowed"] = .int(Int64(allowed))
        status["disruptedPods"] = disrupted.isEmpty ? nil : JSON(disrupted)
        status["observedGeneration"] = .int(pdb.objectGeneration)
        status["conditions"] = .array(condition(pdb, allowed > 0 ? "True" : "False", allowed > 0 ? "SufficientPods" : "InsufficientPods",
                                                message: ""))
        guard status != pdb["status"] else { return }
        var updated = pdb
        updated["status"] = status
        _ = try await client.updateStatus(.podDisruptionBudgets, updated)
    }

    /// The conditions with `DisruptionAllowed` set (its transition time kept unless the status changes).
    func condition(_ pdb: JSON, _ status: String, _ reason: String, message: String) -> [JSON] {
        var conditions = pdb["status", "conditions"]?.array ?? []
        let previous = conditions.first { $0["type"]?.string == "DisruptionAllowed" }
        conditions.removeAll { $0["type"]?.string == "DisruptionAllowed" }
        let since = previous?["status"]?.string == status ? previous?["lastTransitionTime"] : nil
        conditions.append(["type": "DisruptionAllowed", "status": .string(status), "reason": .string(reason), "message": .string(message),
                           "observedGeneration": .int(pdb.objectGeneration),
                           "lastTransitionTime": since ?? .string(Timestamp.format(wallClock()))])
        return conditions
    }

    /// `failSafe`: no disruptions while the status cannot be computed.
    func failSafe(_ pdb: JSON, message: String) async throws {
        var updated = pdb
        updated["status", "disruptionsAllowed"] = 0
        updated["status", "observedGeneration"] = .int(pdb.objectGeneration)
        updated["status", "conditions"] = .array(condition(pdb, "False", "SyncFailed", message: message))
        _ = try await client.updateStatus(.podDisruptionBudgets, updated)
    }
}

struct DisruptionError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
