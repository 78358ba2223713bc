import SkiffModel
import Testing
@testable import SkiffScheduler

@Suite struct NodeAffinityTests {
    static func required(_ terms: [JSON]) -> JSON {
        ["affinity": ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": .array(terms)]]]]
    }

    static func expr(_ key: String, _ op: String, _ values: [String] = []) -> JSON {
        ["key": .string(key), "operator": .string(op), "values": .array(values.map { .string($0) })]
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var spec: JSON
        var labels: [String: String]
        var fits: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "no constraints", spec: [:], labels: [:], fits: true),
        .init(name: "nodeSelector matches", spec: ["nodeSelector": ["disk": "ssd"]], labels: ["disk": "ssd"], fits: true),
        .init(name: "nodeSelector value differs", spec: ["nodeSelector": ["disk": "ssd"]], labels: ["disk": "hdd"], fits: false),
        .init(name: "nodeSelector label missing", spec: ["nodeSelector": ["disk": "ssd"]], labels: [:], fits: false),
        .init(name: "In", spec: required([["matchExpressions": [expr("zone", "In", ["a", "b"])]]]), labels: ["zone": "b"], fits: true),
        .init(name: "In, other value", spec: required([["matchExpressions": [expr("zone", "In", ["a"])]]]), labels: ["zone": "c"], fits: false),
        .init(name: "NotIn, other value", spec: required([["matchExpressions": [expr("zone", "NotIn", ["a"])]]]), labels: ["zone": "c"], fits: true),
        .init(name: "NotIn, label missing", spec: required([["matchExpressions": [expr("zone", "NotIn", ["a"])]]]), labels: [:], fits: true),
        .init(name: "NotIn, same value", spec: required([["matchExpressions": [expr("zone", "NotIn", ["a"])]]]), labels: ["zone": "a"], fits: false),
        .init(name: "Exists", spec: required([["matchExpressions": [expr("gpu", "Exists")]]]), labels: ["gpu": ""], fits: true),
        .init(name: "Exists, missing", spec: required([["matchExpressions": [expr("gpu", "Exists")]]]), labels: [:], fits: false),
        .init(name: "DoesNotExist", spec: required([["matchExpressions": [expr("gpu", "DoesNotExist")]]]), labels: [:], fits: true),
        .init(name: "DoesNotExist, present", spec: required([["matchExpressions": [expr("gpu", "DoesNotExist")]]]), labels: ["gpu": "1"], fits: false),
        .init(name: "Gt", spec: required([["matchExpressions": [expr("cores", "Gt", ["8"])]]]), labels: ["cores": "16"], fits: true),
        .init(name: "Gt, equal", spec: required([["matchExpressions": [expr("cores", "Gt", ["8"])]]]), labels: ["cores": "8"], fits: false),
        .init(name: "Gt, not a number", spec: required([["matchExpressions": [expr("cores", "Gt", ["8"])]]]), labels: ["cores": "many"], fits: false),
        .init(name: "Lt", spec: required([["matchExpressions": [expr("cores", "Lt", ["8"])]]]), labels: ["cores": "4"], fits: true),
        .init(name: "Lt, larger", spec: required([["matchExpressions": [expr("cores", "Lt", ["8"])]]]), labels: ["cores": "9"], fits: false),
        .init(name: "terms are ORed",
              spec: required([["matchExpressions": [expr("zone", "In", ["a"])]], ["matchExpressions": [expr("zone", "In", ["b"])]]]),
              labels: ["zone": "b"], fits: true),
        .init(name: "expressions are ANDed",
              spec: required([["matchExpressions": [expr("zone", "In", ["a"]), expr("disk", "In", ["ssd"])]]]),
              labels: ["zone": "a", "disk": "hdd"], fits: false),
        .init(name: "matchFields on metadata.name", spec: required([["matchFields": [expr("metadata.name", "In", ["n1"])]]]), labels: [:], fits: true),
        .init(name: "matchFields, other name", spec: required([["matchFields": [expr("metadata.name", "In", ["n2"])]]]), labels: [:], fits: false),
        .init(name: "an empty term matches nothing", spec: required([[:]]), labels: ["zone": "a"], fits: false),
        .init(name: "an unknown operator matches nothing", spec: required([["matchExpressions": [expr("zone", "Near", ["a"])]]]),
              labels: ["zone": "a"], fits: false),
        .init(name: "selector and affinity both apply",
              spec: ["nodeSelector": ["disk": "ssd"], "affinity": required([["matchExpressions": [expr("zone", "In", ["a"])]]])["affinity"]!],
              labels: ["zone": "a"], fits: false),
    ]

    @Test(arguments: cases)
    func filter(_ c: Case) {
        let snapshot = Snapshot(nodes: [Fixture.nodeInfo(Fixture.node("n1", labels: c.labels))])
        let s = Fixture.filter(NodeAffinity(), Fixture.podInfo("p", spec: c.spec), snapshot)["n1"]!
        #expect(s.isSuccess == c.fits)
        if !c.fits {
            #expect(s.reasons == ["node(s) didn't match Pod's node affinity/selector"])
            #expect(s.code == .unschedulableAndUnresolvable)
        }
    }

    @Test func preferredTermsScoreByWeight() {
        let spec: JSON = ["affinity": ["nodeAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [
            ["weight": 80, "preference": ["matchExpressions": [Self.expr("zone", "In", ["a"])]]],
            ["weight": 20, "preference": ["matchExpressions": [Self.expr("disk", "In", ["ssd"])]]],
        ]]]]
        let snapshot = Snapshot(nodes: [
            Fixture.nodeInfo(Fixture.node("both", labels: ["zone": "a", "disk": "ssd"])),
            Fixture.nodeInfo(Fixture.node("zone", labels: ["zone": "a"])),
            Fixture.nodeInfo(Fixture.node("disk", labels: ["disk": "ssd"])),
            Fixture.nodeInfo(Fixture.node("none")),
        ])
        #expect(Fixture.scores(NodeAffinity(), Fixture.podInfo("p", spec: spec), snapshot) == ["both": 100, "zone": 80, "disk": 20, "none": 0])
    }

    @Test func nodeNameFilter() {
        let node = Fixture.nodeInfo(Fixture.node("n1"))
        #expect(NodeName().filter(CycleState(), Fixture.podInfo("p"), node).isSuccess)
        #expect(NodeName().filter(CycleState(), Fixture.podInfo("p", node: "n1"), node).isSuccess)
        #expect(NodeName().filter(CycleState(), Fixture.podInfo("p", node: "n2"), node).reasons == ["node(s) didn't match the requested node name"])
    }

    struct PortCase: Sendable, CustomTestStringConvertible {
        var want: HostPort
        var used: HostPort
        var conflict: Bool
        var testDescription: String { "\(want) vs \(used)" }
    }

    static let portCases: [PortCase] = [
        .init(want: HostPort(port: 80), used: HostPort(port: 80), conflict: true),
        .init(want: HostPort(port: 80), used: HostPort(port: 81), conflict: false),
        .init(want: HostPort(proto: "UDP", port: 80), used: HostPort(port: 80), conflict: false),
        .init(want: HostPort(ip: "127.0.0.1", port: 80), used: HostPort(ip: "127.0.0.2", port: 80), conflict: false),
        .init(want: HostPort(ip: "127.0.0.1", port: 80), used: HostPort(port: 80), conflict: true),
        .init(want: HostPort(port: 80), used: HostPort(ip: "10.0.0.1", port: 80), conflict: true),
    ]

    @Test(arguments: portCases)
    func hostPorts(_ c: PortCase) {
        func spec(_ p: HostPort) -> JSON {
            ["containers": [["name": "c", "image": "x", "ports": [["containerPort": 8080, "hostPort": .int(p.port), "protocol": .string(p.proto),
                                                                    "hostIP": .string(p.ip)]]]]]
        }
        let existing = Fixture.podInfo("e", node: "n1", spec: spec(c.used))
        let snapshot = Snapshot(nodes: [Fixture.nodeInfo(Fixture.node("n1"), pods: [existing])])
        let s = Fixture.filter(NodePorts(), Fixture.podInfo("p", spec: spec(c.want)), snapshot)["n1"]!
        #expect(s.isSuccess == !c.conflict)
        if c.conflict { #expect(s.reasons == ["node(s) didn't have free ports for the requested pod ports"]) }
    }
}
