import SkiffModel
@testable import SkiffScheduler

/// Builders for Pod and Node objects in tests.
enum Fixture {
    static func pod(_ name: String, namespace: String = "default", labels: [String: String] = [:], cpu: String? = nil,
                    memory: String? = nil, extra: [String: String] = [:], node: String? = nil, priority: Int64? = nil,
                    spec: JSON = [:]) -> JSON {
        var requests: [String: String] = extra
        if let cpu { requests["cpu"] = cpu }
        if let memory { requests["memory"] = memory }
        var container: JSON = ["name": "app", "image": "busybox"]
        if !requests.isEmpty { container["resources", "requests"] = JSON(requests) }
        var s = spec
        if s["containers"] == nil { s["containers"] = [container] }
        if let node { s["nodeName"] = .string(node) }
        if let priority { s["priority"] = .int(priority) }
        return ["apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string("uid-\(name)"), "labels": JSON(labels),
                             "creationTimestamp": "2026-01-01T00:00:00Z"],
                "spec": s]
    }

    static func podInfo(_ name: String, namespace: String = "default", labels: [String: String] = [:], cpu: String? = nil,
                        memory: String? = nil, extra: [String: String] = [:], node: String? = nil, priority: Int64? = nil,
                        spec: JSON = [:]) -> PodInfo {
        PodInfo(pod(name, namespace: namespace, labels: labels, cpu: cpu, memory: memory, extra: extra, node: node, priority: priority, spec: spec))
    }

    static func node(_ name: String, labels: [String: String] = [:], cpu: String = "4", memory: String = "16Gi", pods: String = "110",
                     extra: [String: String] = [:], taints: [JSON] = [], unschedulable: Bool = false) -> JSON {
        var allocatable = ["cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi"]
        for (k, v) in extra { allocatable[k] = v }
        var labels = labels
        labels["kubernetes.io/hostname"] = labels["kubernetes.io/hostname"] ?? name
        var spec: JSON = [:]
        if !taints.isEmpty { spec["taints"] = .array(taints) }
        if unschedulable { spec["unschedulable"] = true }
        return ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": JSON(labels)], "spec": spec,
                "status": ["allocatable": JSON(allocatable), "capacity": JSON(allocatable)]]
    }

    static func nodeInfo(_ node: JSON, pods: [PodInfo] = []) -> NodeInfo {
        let spec = NodeSpec(node)
        return NodeInfo(node: spec, pods: pods.map { $0.nodeName.isEmpty ? $0.assigned(to: spec.name) : $0 })
    }

    static func taint(_ key: String, _ value: String = "", _ effect: String) -> JSON {
        ["key": .string(key), "value": .string(value), "effect": .string(effect)]
    }

    /// Runs PreFilter then Filter of one plugin for `pod` on each node of `snapshot`.
    static func filter(_ plugin: some PreFilterPlugin & FilterPlugin, _ pod: PodInfo, _ snapshot: Snapshot) -> [String: Status] {
        let state = CycleState()
        let pre = plugin.preFilter(state, pod, snapshot)
        var out: [String: Status] = [:]
        for n in snapshot.nodes {
            if pre.isSkip { out[n.name] = .success; continue }
            if !pre.isSuccess { out[n.name] = pre; continue }
            out[n.name] = plugin.filter(state, pod, n)
        }
        return out
    }

    /// Runs PreScore, Score and normalize of one plugin over all nodes of `snapshot`.
    static func scores(_ plugin: some ScorePlugin, _ pod: PodInfo, _ snapshot: Snapshot) -> [String: Int64] {
        let state = CycleState()
        if let pre = plugin as? any PreScorePlugin, pre.preScore(state, pod, snapshot.nodes, snapshot).isSkip {
            return Dictionary(uniqueKeysWithValues: snapshot.nodes.map { ($0.name, Int64(0)) })
        }
        var scores = snapshot.nodes.map { plugin.score(state, pod, $0) }
        plugin.normalize(state, pod, &scores)
        return Dictionary(uniqueKeysWithValues: zip(snapshot.nodes.map(\.name), scores))
    }
}
