import SkiffModel
import Testing
@testable import SkiffScheduler

@Suite struct NodeResourcesFitTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var requests: [String: String]
        var existing: [[String: String]]
        var allocatable: [String: String]
        var reasons: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "fits an empty node", requests: ["cpu": "1", "memory": "1Gi"], existing: [], allocatable: [:], reasons: []),
        Case(name: "fits exactly", requests: ["cpu": "2"], existing: [["cpu": "2"]], allocatable: [:], reasons: []),
        Case(name: "cpu short by a millicore", requests: ["cpu": "2001m"], existing: [["cpu": "2"]], allocatable: [:],
             reasons: ["Insufficient cpu"]),
        Case(name: "memory", requests: ["memory": "10Gi"], existing: [["memory": "7Gi"]], allocatable: [:], reasons: ["Insufficient memory"]),
        Case(name: "cpu and memory, in that order", requests: ["cpu": "5", "memory": "20Gi"], existing: [], allocatable: [:],
             reasons: ["Insufficient cpu", "Insufficient memory"]),
        Case(name: "ephemeral storage", requests: ["ephemeral-storage": "200Gi"], existing: [], allocatable: [:],
             reasons: ["Insufficient ephemeral-storage"]),
        Case(name: "extended resource the node lacks", requests: ["example.com/gpu": "1"], existing: [], allocatable: [:],
             reasons: ["Insufficient example.com/gpu"]),
        Case(name: "extended resource the node has", requests: ["example.com/gpu": "2"], existing: [["example.com/gpu": "1"]],
             allocatable: ["example.com/gpu": "3"], reasons: []),
        Case(name: "extended resource used up", requests: ["example.com/gpu": "2"], existing: [["example.com/gpu": "2"]],
             allocatable: ["example.com/gpu": "3"], reasons: ["Insufficient example.com/gpu"]),
        Case(name: "too many pods", requests: [:], existing: [[:], [:]], allocatable: ["pods": "2"], reasons: ["Too many pods"]),
        Case(name: "too many pods and cpu", requests: ["cpu": "5"], existing: [[:], [:]], allocatable: ["pods": "2"],
             reasons: ["Too many pods", "Insufficient cpu"]),
        Case(name: "best-effort pod on a full node", requests: [:], existing: [["cpu": "4", "memory": "16Gi"]], allocatable: [:], reasons: []),
    ]

    @Test(arguments: cases)
    func filter(_ c: Case) {
        let existing = c.existing.enumerated().map { i, r in
            Fixture.podInfo("e\(i)", cpu: r["cpu"], memory: r["memory"], extra: r.filter { $0.key != "cpu" && $0.key != "memory" }, node: "n1")
        }
        let node = Fixture.nodeInfo(Fixture.node("n1", pods: c.allocatable["pods"] ?? "110",
                                                 extra: c.allocatable.filter { $0.key != "pods" }), pods: existing)
        let pod = Fixture.podInfo("p", cpu: c.requests["cpu"], memory: c.requests["memory"],
                                  extra: c.requests.filter { $0.key != "cpu" && $0.key != "memory" })
        let status = NodeResourcesFit().filter(CycleState(), pod, node)
        #expect(status.reasons == c.reasons)
        #expect(status.isSuccess == c.reasons.isEmpty)
        if !c.reasons.isEmpty { #expect(status.code == .unschedulable) }
    }

    struct RequestCase: Sendable, CustomTestStringConvertible {
        var name: String
        var spec: JSON
        var milliCPU: Int64
        var memory: Int64
        var testDescription: String { name }
    }

    static func c(_ name: String, cpu: String? = nil, memory: String? = nil, limitsCPU: String? = nil, sidecar: Bool = false) -> JSON {
        var r: JSON = [:]
        if let cpu { r["requests", "cpu"] = .string(cpu) }
        if let memory { r["requests", "memory"] = .string(memory) }
        if let limitsCPU { r["limits", "cpu"] = .string(limitsCPU) }
        var o: JSON = ["name": .string(name), "image": "x", "resources": r]
        if sidecar { o["restartPolicy"] = "Always" }
        return o
    }

    static let requestCases: [RequestCase] = [
        // Kubernetes' computePodResourceRequest example: init max(2,2)=2 cpu, 3G; containers 3 cpu, 2G -> 3 cpu, 3G.
        RequestCase(name: "init containers count by the max rule",
                    spec: ["initContainers": [c("i1", cpu: "2", memory: "1G"), c("i2", cpu: "2", memory: "3G")],
                           "containers": [c("c1", cpu: "2", memory: "1G"), c("c2", cpu: "1", memory: "1G")]],
                    milliCPU: 3000, memory: 3_000_000_000),
        RequestCase(name: "a large init container dominates",
                    spec: ["initContainers": [c("i1", cpu: "5")], "containers": [c("c1", cpu: "1")]], milliCPU: 5000, memory: 0),
        RequestCase(name: "limits stand in for missing requests",
                    spec: ["containers": [c("c1", limitsCPU: "500m")]], milliCPU: 500, memory: 0),
        RequestCase(name: "sidecars add to the containers and to later init containers",
                    spec: ["initContainers": [c("s", cpu: "1", sidecar: true), c("i", cpu: "3")], "containers": [c("c1", cpu: "1")]],
                    milliCPU: 4000, memory: 0),
        RequestCase(name: "overhead is added",
                    spec: ["containers": [c("c1", cpu: "1")], "overhead": ["cpu": "250m"]], milliCPU: 1250, memory: 0),
    ]

    @Test(arguments: requestCases)
    func podRequests(_ c: RequestCase) {
        let r = PodRequests.pod(c.spec)
        #expect(r.milliCPU == c.milliCPU)
        #expect(r.memory == c.memory)
    }

    @Test func nonZeroRequestsUseDefaults() {
        let r = PodRequests.nonZero(["containers": [Self.c("a"), Self.c("b", cpu: "1")]])
        #expect(r.milliCPU == 1100)
        #expect(r.memory == 2 * PodRequests.defaultMemory)
    }

    struct ScoreCase: Sendable, CustomTestStringConvertible {
        var name: String
        var pod: [String: String]
        var used: [String: String]
        var leastAllocated: Int64
        var balanced: Int64
        var testDescription: String { name }
    }

    static let scoreCases: [ScoreCase] = [
        // 4 cpu / 16Gi node. Least: ((4000-1000)*100/4000 + (16Gi-4Gi)*100/16Gi)/2 = (75+75)/2.
        ScoreCase(name: "a quarter of both", pod: ["cpu": "1", "memory": "4Gi"], used: [:], leastAllocated: 75, balanced: 100),
        // cpu 2/4 = 0.5, memory 4/16 = 0.25 -> std 0.125 -> 87; least (50 + 75)/2 = 62.
        ScoreCase(name: "unbalanced", pod: ["cpu": "1", "memory": "2Gi"], used: ["cpu": "1", "memory": "2Gi"], leastAllocated: 62, balanced: 87),
        ScoreCase(name: "full cpu", pod: ["cpu": "2", "memory": "1Gi"], used: ["cpu": "2", "memory": "1Gi"], leastAllocated: 43, balanced: 56),
    ]

    @Test(arguments: scoreCases)
    func scoring(_ c: ScoreCase) {
        let existing = c.used.isEmpty ? [] : [Fixture.podInfo("e", cpu: c.used["cpu"], memory: c.used["memory"], node: "n1")]
        let node = Fixture.nodeInfo(Fixture.node("n1"), pods: existing)
        let pod = Fixture.podInfo("p", cpu: c.pod["cpu"], memory: c.pod["memory"])
        #expect(NodeResourcesFit().score(CycleState(), pod, node) == c.leastAllocated)
        #expect(NodeResourcesBalancedAllocation().score(CycleState(), pod, node) == c.balanced)
    }
}
