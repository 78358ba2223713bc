import SkiffModel
import Testing
@testable import SkiffScheduler

@Suite struct PodTopologySpreadTests {
    static func constraint(_ key: String, maxSkew: Int64 = 1, when: String = "DoNotSchedule", minDomains: Int64? = nil) -> JSON {
        var c: JSON = ["maxSkew": .int(maxSkew), "topologyKey": .string(key), "whenUnsatisfiable": .string(when),
                       "labelSelector": ["matchLabels": ["app": "web"]]]
        if let minDomains { c["minDomains"] = .int(minDomains) }
        return c
    }

    /// Three zones: a (n1, n2), b (n3), c (n4 without a zone label); `counts` web Pods per node.
    static func cluster(_ counts: [String: Int]) -> Snapshot {
        let zones = ["n1": "a", "n2": "a", "n3": "b"]
        return Snapshot(nodes: ["n1", "n2", "n3", "n4"].map { name in
            var labels: [String: String] = [:]
            if let z = zones[name] { labels["zone"] = z }
            let pods = (0..<(counts[name] ?? 0)).map { Fixture.podInfo("\(name)-web-\($0)", labels: ["app": "web"], node: name) }
            return Fixture.nodeInfo(Fixture.node(name, labels: labels), pods: pods)
        })
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var counts: [String: Int]
        var constraints: [JSON]
        var expected: [String: String]
        var testDescription: String { name }
    }

    static let skew = "node(s) didn't match pod topology spread constraints"
    static let missing = "node(s) didn't match pod topology spread constraints (missing required label)"

    static let cases: [Case] = [
        .init(name: "empty cluster: every zoned node fits", counts: [:], constraints: [constraint("zone")],
              expected: ["n1": "", "n2": "", "n3": "", "n4": missing]),
        .init(name: "zone a ahead by one: only b fits", counts: ["n1": 1], constraints: [constraint("zone")],
              expected: ["n1": skew, "n2": skew, "n3": "", "n4": missing]),
        .init(name: "maxSkew 2 allows a", counts: ["n1": 1], constraints: [constraint("zone", maxSkew: 2)],
              expected: ["n1": "", "n2": "", "n3": "", "n4": missing]),
        .init(name: "balanced zones: all fit", counts: ["n1": 1, "n3": 1], constraints: [constraint("zone")],
              expected: ["n1": "", "n2": "", "n3": "", "n4": missing]),
        .init(name: "by hostname", counts: ["n1": 1, "n2": 1, "n3": 0, "n4": 1], constraints: [constraint("kubernetes.io/hostname")],
              expected: ["n1": skew, "n2": skew, "n3": "", "n4": skew]),
        .init(name: "minDomains above the domain count makes the minimum 0",
              counts: ["n1": 1, "n3": 1], constraints: [constraint("zone", minDomains: 3)],
              expected: ["n1": skew, "n2": skew, "n3": skew, "n4": missing]),
        .init(name: "ScheduleAnyway does not filter", counts: ["n1": 5], constraints: [constraint("zone", when: "ScheduleAnyway")],
              expected: ["n1": "", "n2": "", "n3": "", "n4": ""]),
    ]

    @Test(arguments: cases)
    func filter(_ c: Case) {
        let pod = Fixture.podInfo("p", labels: ["app": "web"], spec: ["topologySpreadConstraints": .array(c.constraints)])
        let statuses = Fixture.filter(PodTopologySpread(), pod, Self.cluster(c.counts))
        for (node, reason) in c.expected {
            #expect(statuses[node]?.reasons.first ?? "" == reason, "node \(node)")
        }
    }

    @Test func podsInOtherNamespacesAndTerminatingPodsDoNotCount() {
        var terminating = Fixture.pod("t", labels: ["app": "web"], node: "n1")
        terminating["metadata", "deletionTimestamp"] = "2026-01-01T00:00:00Z"
        let snapshot = Snapshot(nodes: [
            Fixture.nodeInfo(Fixture.node("n1", labels: ["zone": "a"]),
                             pods: [PodInfo(terminating), Fixture.podInfo("o", namespace: "other", labels: ["app": "web"], node: "n1")]),
            Fixture.nodeInfo(Fixture.node("n2", labels: ["zone": "b"])),
        ])
        let pod = Fixture.podInfo("p", labels: ["app": "web"], spec: ["topologySpreadConstraints": [Self.constraint("zone")]])
        let statuses = Fixture.filter(PodTopologySpread(), pod, snapshot)
        #expect(statuses["n1"]?.isSuccess == true)
    }

    @Test func nodeAffinityLimitsTheDomains() {
        // Zone b is excluded by the Pod's nodeSelector, so its emptiness does not hold zone a back.
        let snapshot = Snapshot(nodes: [
            Fixture.nodeInfo(Fixture.node("n1", labels: ["zone": "a", "pool": "x"]), pods: [Fixture.podInfo("w", labels: ["app": "web"], node: "n1")]),
            Fixture.nodeInfo(Fixture.node("n2", labels: ["zone": "b"])),
        ])
        let pod = Fixture.podInfo("p", labels: ["app": "web"],
                                  spec: ["nodeSelector": ["pool": "x"], "topologySpreadConstraints": [Self.constraint("zone")]])
        #expect(Fixture.filter(PodTopologySpread(), pod, snapshot)["n1"]?.isSuccess == true)
    }

    @Test func scheduleAnywayPrefersEmptierDomains() {
        let pod = Fixture.podInfo("p", labels: ["app": "web"],
                                  spec: ["topologySpreadConstraints": [Self.constraint("zone", when: "ScheduleAnyway")]])
        let scores = Fixture.scores(PodTopologySpread(), pod, Self.cluster(["n1": 2]))
        #expect(scores["n3"]! > scores["n1"]!)
        #expect(scores["n1"] == scores["n2"])
        #expect(scores["n4"] == 0)
        #expect(scores["n3"] == 100)
    }
}
