import SkiffModel
import SkiffSim
import Testing

@Suite struct SimulatorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var pod: JSON
        var action: PodLifecycle.Action
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "new", pod: ["status": ["phase": "Pending"]], action: .start),
        .init(name: "running but not ready", pod: ["status": ["phase": "Running", "conditions": [["type": "Ready", "status": "False"]]]],
              action: .start),
        .init(name: "running and ready", pod: ["status": ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]],
              action: .none),
        .init(name: "finished", pod: ["status": ["phase": "Succeeded"]], action: .none),
        .init(name: "being deleted", pod: ["metadata": ["deletionTimestamp": "2026-01-01T00:00:00Z"], "status": ["phase": "Running"]],
              action: .delete),
    ]

    @Test(arguments: cases)
    func action(_ c: Case) {
        #expect(PodLifecycle.action(for: c.pod) == c.action)
    }

    @Test func runningStatus() {
        let pod: JSON = [
            "metadata": ["uid": "u1"],
            "spec": ["initContainers": [["name": "init", "image": "busybox"], ["name": "side", "image": "envoy", "restartPolicy": "Always"]],
                     "containers": [["name": "app", "image": "nginx"]]],
            "status": ["phase": "Pending", "qosClass": "BestEffort",
                       "conditions": [["type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"]]],
        ]
        let s = PodLifecycle.runningStatus(for: pod, podIP: "10.244.0.2", hostIP: "127.20.0.2", now: "2026-01-01T00:00:05Z")
        #expect(s["phase"] == "Running")
        #expect(s["podIP"] == "10.244.0.2")
        #expect(s["hostIP"] == "127.20.0.2")
        #expect(s["startTime"] == "2026-01-01T00:00:05Z")
        #expect(s["qosClass"] == "BestEffort")
        let conditions = s["conditions"]?.array ?? []
        for type in ["Initialized", "ContainersReady", "Ready", "PodScheduled"] {
            #expect(conditions.contains { $0["type"]?.string == type && $0["status"] == "True" }, "\(type)")
        }
        #expect(conditions.first { $0["type"] == "PodScheduled" }?["lastTransitionTime"] == "2026-01-01T00:00:00Z")
        let app = s["containerStatuses"]?.array?.first
        #expect(app?["ready"] == true)
        #expect(app?["state", "running", "startedAt"] == "2026-01-01T00:00:05Z")
        let inits = s["initContainerStatuses"]?.array ?? []
        #expect(inits.first?["state", "terminated", "reason"] == "Completed")
        #expect(inits.last?["state", "running"] != nil)
        #expect(PodLifecycle.action(for: ["status": s]) == .none)
    }

    @Test func nodeObjects() {
        let node = NodeTemplate.node(name: "sim-node-3", index: 3, labels: ["topology.kubernetes.io/zone": "zone-0"])
        #expect(node["metadata", "labels", "kubernetes.io/hostname"] == "sim-node-3")
        #expect(node["metadata", "labels", "topology.kubernetes.io/zone"] == "zone-0")
        #expect(node["spec", "podCIDR"] == "10.244.3.0/24")
        let status = NodeTemplate.status(name: "sim-node-3", index: 3, capacity: ["cpu": "4", "memory": "16Gi", "pods": "110"],
                                         kubeletVersion: "v1.33.0-skiff", now: "2026-01-01T00:00:00Z")
        #expect(status["allocatable"] == status["capacity"])
        #expect(status["nodeInfo", "kubeletVersion"] == "v1.33.0-skiff")
        #expect(status["conditions"]?.array?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true)
        #expect(NodeTemplate.podIP(node: 300, 7) == "10.245.44.7")
    }
}
