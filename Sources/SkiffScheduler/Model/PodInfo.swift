import SkiffClient
import SkiffModel

/// A Pod as the scheduler sees it: its JSON object plus everything scheduling needs, parsed
/// once (`framework.PodInfo`). Immutable and shared between the cache, snapshots and queue.
public final class PodInfo: Sendable {
    /// The object as last seen (for assumed Pods: as read before binding).
    public let object: JSON
    /// `namespace/name`.
    public let key: String
    public let namespace: String
    public let name: String
    public let uid: String
    public let labels: [String: String]
    /// The node the Pod is bound (or assumed) to; empty while pending.
    public let nodeName: String
    public let schedulerName: String
    public let priority: Int64
    /// `spec.preemptionPolicy: Never`.
    public let neverPreempts: Bool
    public let isTerminating: Bool
    /// `metadata.creationTimestamp` in seconds since the epoch (0 if unknown).
    public let creationTime: Double
    public let nominatedNodeName: String
    /// `spec.schedulingGates` is not empty: the Pod is not scheduled until they are removed.
    public let isSchedulingGated: Bool

    public let requests: Resources
    /// cpu and memory with the scorers' defaults for containers that request none.
    public let nonZeroRequests: Resources
    public let hostPorts: [HostPort]
    public let tolerations: [Toleration]
    public let nodeSelector: [String: String]
    public let requiredNodeAffinity: NodeSelector?
    public let preferredNodeAffinity: [WeightedNodeSelectorTerm]
    public let requiredAffinity: [AffinityTerm]
    public let requiredAntiAffinity: [AffinityTerm]
    public let preferredAffinity: [WeightedAffinityTerm]
    public let preferredAntiAffinity: [WeightedAffinityTerm]
    public let spreadConstraints: [TopologySpreadConstraint]
    /// Why the Pod's constraints could not be read; such a Pod is unschedulable.
    public let parseError: String?

    /// Parses a Pod object. `priority`, when given, replaces `spec.priority` (the scheduler
    /// resolves `priorityClassName` itself).
    public convenience init(_ object: JSON, priority: Int64? = nil) {
        self.init(object: object, nodeName: object["spec", "nodeName"]?.string ?? "", priority: priority)
    }

    init(object: JSON, nodeName: String, priority: Int64?) {
        self.object = object
        let meta = object["metadata"] ?? [:]
        let spec = object["spec"] ?? [:]
        namespace = meta["namespace"]?.string ?? ""
        name = meta["name"]?.string ?? ""
        key = ObjectKey.key(namespace: namespace, name: name)
        uid = meta["uid"]?.string ?? ""
        labels = meta["labels"]?.stringMap ?? [:]
        self.nodeName = nodeName
        schedulerName = spec["schedulerName"]?.string ?? "default-scheduler"
        self.priority = priority ?? spec["priority"]?.int ?? 0
        neverPreempts = spec["preemptionPolicy"]?.string == "Never"
        isTerminating = meta["deletionTimestamp"].map { !$0.isNull } ?? false
        creationTime = meta["creationTimestamp"]?.string.flatMap(Timestamp.parse) ?? 0
        nominatedNodeName = object["status", "nominatedNodeName"]?.string ?? ""
        isSchedulingGated = !(spec["schedulingGates"]?.array ?? []).isEmpty

        requests = PodRequests.pod(spec)
        nonZeroRequests = PodRequests.nonZero(spec)
        var ports: [HostPort] = []
        for list in ["containers", "initContainers"] {
            for c in spec[list]?.array ?? [] {
                for p in c["ports"]?.array ?? [] {
                    guard let hp = p["hostPort"]?.int, hp > 0 else { continue }
                    ports.append(HostPort(ip: p["hostIP"]?.string ?? "", proto: p["protocol"]?.string ?? "TCP", port: hp))
                }
            }
        }
        hostPorts = ports
        tolerations = (spec["tolerations"]?.array ?? []).map(Toleration.init(json:))
        nodeSelector = spec["nodeSelector"]?.stringMap ?? [:]

        let affinity = spec["affinity"] ?? [:]
        let nodeAffinity = affinity["nodeAffinity"] ?? [:]
        requiredNodeAffinity = nodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"].flatMap { $0.isNull ? nil : NodeSelector(json: $0) }
        preferredNodeAffinity = (nodeAffinity["preferredDuringSchedulingIgnoredDuringExecution"]?.array ?? []).map {
            WeightedNodeSelectorTerm(weight: $0["weight"]?.int ?? 0, term: NodeSelectorTerm(json: $0["preference"] ?? [:]))
        }

        var firstError: String?
        let (ns, lbls) = (namespace, labels)
        func terms(_ list: JSON?) -> [AffinityTerm] {
            (list?.array ?? []).compactMap { t in
                do { return try AffinityTerm(json: t, namespace: ns, labels: lbls) } catch {
                    firstError = firstError ?? parseMessage(error)
                    return nil
                }
            }
        }
        func weighted(_ list: JSON?) -> [WeightedAffinityTerm] {
            (list?.array ?? []).compactMap { w in
                do {
                    return WeightedAffinityTerm(weight: w["weight"]?.int ?? 0,
                                                term: try AffinityTerm(json: w["podAffinityTerm"] ?? [:], namespace: ns, labels: lbls))
                } catch {
                    firstError = firstError ?? parseMessage(error)
                    return nil
                }
            }
        }
        let pa = affinity["podAffinity"] ?? [:]
        let paa = affinity["podAntiAffinity"] ?? [:]
        requiredAffinity = terms(pa["requiredDuringSchedulingIgnoredDuringExecution"])
        requiredAntiAffinity = terms(paa["requiredDuringSchedulingIgnoredDuringExecution"])
        preferredAffinity = weighted(pa["preferredDuringSchedulingIgnoredDuringExecution"])
        preferredAntiAffinity = weighted(paa["preferredDuringSchedulingIgnoredDuringExecution"])
        spreadConstraints = (spec["topologySpreadConstraints"]?.array ?? []).compactMap { c in
            do { return try TopologySpreadConstraint(json: c, labels: lbls) } catch {
                firstError = firstError ?? parseMessage(error)
                return nil
            }
        }
        parseError = firstError
    }

    /// A copy bound to `node` (how the scheduler assumes a Pod before its binding is seen).
    public func assigned(to node: String) -> PodInfo {
        PodInfo(object: object, nodeName: node, priority: priority)
    }

    /// Whether the Pod declares any inter-pod affinity or anti-affinity term.
    public var hasAffinity: Bool {
        !requiredAffinity.isEmpty || !requiredAntiAffinity.isEmpty || !preferredAffinity.isEmpty || !preferredAntiAffinity.isEmpty
    }

    public var spec: JSON { object["spec"] ?? [:] }
}

private func parseMessage(_ e: any Error) -> String { "parsing pod: \((e as? SchedulerError)?.message ?? "\(e)")" }
