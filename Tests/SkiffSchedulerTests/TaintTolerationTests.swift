import SkiffModel
import Testing
@testable import SkiffScheduler

@Suite struct TaintTolerationTests {
    struct TolerationCase: Sendable, CustomTestStringConvertible {
        var toleration: JSON
        var taint: JSON
        var tolerates: Bool
        var testDescription: String { "\(toleration.serializedString()) vs \(taint.serializedString())" }
    }

    static let tolerationCases: [TolerationCase] = [
        .init(toleration: ["key": "a", "operator": "Equal", "value": "1", "effect": "NoSchedule"], taint: Fixture.taint("a", "1", "NoSchedule"), tolerates: true),
        .init(toleration: ["key": "a", "value": "1"], taint: Fixture.taint("a", "1", "NoExecute"), tolerates: true),
        .init(toleration: ["key": "a", "value": "2"], taint: Fixture.taint("a", "1", "NoSchedule"), tolerates: false),
        .init(toleration: ["key": "a", "operator": "Exists"], taint: Fixture.taint("a", "1", "NoSchedule"), tolerates: true),
        .init(toleration: ["key": "a", "operator": "Exists", "effect": "NoExecute"], taint: Fixture.taint("a", "1", "NoSchedule"), tolerates: false),
        .init(toleration: ["operator": "Exists"], taint: Fixture.taint("anything", "x", "NoExecute"), tolerates: true),
        .init(toleration: ["key": "b", "operator": "Exists"], taint: Fixture.taint("a", "", "NoSchedule"), tolerates: false),
        .init(toleration: ["value": "1"], taint: Fixture.taint("a", "1", "NoSchedule"), tolerates: false),
    ]

    @Test(arguments: tolerationCases)
    func tolerates(_ c: TolerationCase) {
        #expect(Toleration(json: c.toleration).tolerates(Taint(json: c.taint)) == c.tolerates)
    }

    struct FilterCase: Sendable, CustomTestStringConvertible {
        var name: String
        var taints: [JSON]
        var tolerations: [JSON]
        var reason: String?
        var testDescription: String { name }
    }

    static let filterCases: [FilterCase] = [
        .init(name: "no taints", taints: [], tolerations: [], reason: nil),
        .init(name: "untolerated NoSchedule", taints: [Fixture.taint("dedicated", "gpu", "NoSchedule")], tolerations: [],
              reason: "node(s) had untolerated taint {dedicated: gpu}"),
        .init(name: "empty value prints as {key: }", taints: [Fixture.taint("node-role.kubernetes.io/control-plane", "", "NoSchedule")],
              tolerations: [], reason: "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
        .init(name: "untolerated NoExecute", taints: [Fixture.taint("k", "v", "NoExecute")], tolerations: [],
              reason: "node(s) had untolerated taint {k: v}"),
        .init(name: "PreferNoSchedule does not filter", taints: [Fixture.taint("k", "v", "PreferNoSchedule")], tolerations: [], reason: nil),
        .init(name: "tolerated", taints: [Fixture.taint("dedicated", "gpu", "NoSchedule")],
              tolerations: [["key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"]], reason: nil),
        .init(name: "first untolerated is reported",
              taints: [Fixture.taint("a", "1", "NoSchedule"), Fixture.taint("b", "2", "NoSchedule")],
              tolerations: [["key": "a", "operator": "Exists"]], reason: "node(s) had untolerated taint {b: 2}"),
    ]

    @Test(arguments: filterCases)
    func filter(_ c: FilterCase) {
        let node = Fixture.nodeInfo(Fixture.node("n1", taints: c.taints))
        let pod = Fixture.podInfo("p", spec: ["tolerations": .array(c.tolerations)])
        let s = TaintToleration().filter(CycleState(), pod, node)
        #expect(s.reasons.first == c.reason)
        if c.reason != nil { #expect(s.code == .unschedulableAndUnresolvable) }
    }

    @Test func preferNoScheduleScoring() {
        let snapshot = Snapshot(nodes: [
            Fixture.nodeInfo(Fixture.node("clean")),
            Fixture.nodeInfo(Fixture.node("one", taints: [Fixture.taint("a", "", "PreferNoSchedule")])),
            Fixture.nodeInfo(Fixture.node("two", taints: [Fixture.taint("a", "", "PreferNoSchedule"), Fixture.taint("b", "", "PreferNoSchedule")])),
            Fixture.nodeInfo(Fixture.node("tolerated", taints: [Fixture.taint("t", "", "PreferNoSchedule")])),
        ])
        let pod = Fixture.podInfo("p", spec: ["tolerations": [["key": "t", "operator": "Exists", "effect": "PreferNoSchedule"]]])
        let scores = Fixture.scores(TaintToleration(), pod, snapshot)
        #expect(scores == ["clean": 100, "one": 50, "two": 0, "tolerated": 100])
    }

    @Test(arguments: [(false, false, true), (true, false, false), (true, true, true)])
    func unschedulableNodes(cordoned: Bool, tolerates: Bool, fits: Bool) {
        let node = Fixture.nodeInfo(Fixture.node("n1", unschedulable: cordoned))
        let tolerations: JSON = tolerates ? [["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"]] : []
        let s = NodeUnschedulable().filter(CycleState(), Fixture.podInfo("p", spec: ["tolerations": tolerations]), node)
        #expect(s.isSuccess == fits)
        if !fits { #expect(s.reasons == ["node(s) were unschedulable"]) }
    }
}
