import SkiffModel
import Testing
@testable import SkiffScheduler

@Suite struct InterPodAffinityTests {
    static func term(_ app: String, _ key: String) -> JSON {
        ["labelSelector": ["matchLabels": ["app": .string(app)]], "topologyKey": .string(key)]
    }

    static func affinity(required: [JSON] = [], anti: [JSON] = []) -> JSON {
        var a: JSON = [:]
        if !required.isEmpty { a["podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"] = .array(required) }
        if !anti.isEmpty { a["podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"] = .array(anti) }
        return ["affinity": a]
    }

    /// n1, n2 in zone a; n3 in zone b. `pods`: node -> Pods on it.
    static func cluster(_ pods: [String: [PodInfo]]) -> Snapshot {
        Snapshot(nodes: [("n1", "a"), ("n2", "a"), ("n3", "b")].map { name, zone in
            Fixture.nodeInfo(Fixture.node(name, labels: ["zone": zone]), pods: pods[name] ?? [])
        })
    }

    static let host = "kubernetes.io/hostname"
    static let affinityReason = "node(s) didn't match pod affinity rules"
    static let antiReason = "node(s) didn't match pod anti-affinity rules"
    static let existingReason = "node(s) didn't satisfy existing pods anti-affinity rules"

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var podLabels: [String: String]
        var spec: JSON
        var existing: [String: [(String, JSON)]]
        var expected: [String: String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "anti-affinity by hostname keeps replicas apart", podLabels: ["app": "web"],
              spec: affinity(anti: [term("web", host)]), existing: ["n1": [("web", [:])]],
              expected: ["n1": antiReason, "n2": "", "n3": ""]),
        .init(name: "anti-affinity by zone", podLabels: ["app": "web"],
              spec: affinity(anti: [term("web", "zone")]), existing: ["n1": [("web", [:])]],
              expected: ["n1": antiReason, "n2": antiReason, "n3": ""]),
        .init(name: "affinity to a zone with a cache Pod", podLabels: ["app": "web"],
              spec: affinity(required: [term("cache", "zone")]), existing: ["n3": [("cache", [:])]],
              expected: ["n1": affinityReason, "n2": affinityReason, "n3": ""]),
        .init(name: "affinity with no match anywhere: a Pod matching itself may start the group", podLabels: ["app": "web"],
              spec: affinity(required: [term("web", "zone")]), existing: [:],
              expected: ["n1": "", "n2": "", "n3": ""]),
        .init(name: "affinity with no match anywhere and no self match", podLabels: ["app": "web"],
              spec: affinity(required: [term("cache", "zone")]), existing: [:],
              expected: ["n1": affinityReason, "n2": affinityReason, "n3": affinityReason]),
        .init(name: "affinity needs the topology label", podLabels: ["app": "web"],
              spec: affinity(required: [term("cache", "rack")]), existing: ["n1": [("cache", [:])]],
              expected: ["n1": affinityReason, "n2": affinityReason, "n3": affinityReason]),
        .init(name: "an existing Pod's anti-affinity repels the Pod", podLabels: ["app": "web"], spec: [:],
              existing: ["n1": [("db", affinity(anti: [term("web", "zone")]))]],
              expected: ["n1": existingReason, "n2": existingReason, "n3": ""]),
        .init(name: "an existing Pod's anti-affinity for other Pods does not", podLabels: ["app": "web"], spec: [:],
              existing: ["n1": [("db", affinity(anti: [term("batch", "zone")]))]],
              expected: ["n1": "", "n2": "", "n3": ""]),
        .init(name: "terms look in the Pod's own namespace by default", podLabels: ["app": "web"],
              spec: affinity(anti: [term("web", host)]), existing: ["n1": [("web@other", [:])]],
              expected: ["n1": "", "n2": "", "n3": ""]),
    ]

    @Test(arguments: cases)
    func filter(_ c: Case) {
        var pods: [String: [PodInfo]] = [:]
        for (node, list) in c.existing {
            pods[node] = list.enumerated().map { i, e in
                let parts = e.0.split(separator: "@").map(String.init)
                return Fixture.podInfo("\(node)-\(i)", namespace: parts.count > 1 ? parts[1] : "default", labels: ["app": parts[0]],
                                       node: node, spec: e.1)
            }
        }
        let pod = Fixture.podInfo("p", labels: c.podLabels, spec: c.spec)
        let statuses = Fixture.filter(InterPodAffinity(), pod, Self.cluster(pods))
        for (node, reason) in c.expected {
            #expect(statuses[node]?.reasons.first ?? "" == reason, "node \(node)")
        }
    }

    @Test func namespaceSelectorSelectsByNamespaceLabels() {
        let t: JSON = ["labelSelector": ["matchLabels": ["app": "web"]], "topologyKey": .string(Self.host),
                       "namespaceSelector": ["matchLabels": ["team": "blue"]]]
        let existing = Fixture.podInfo("e", namespace: "blue-ns", labels: ["app": "web"], node: "n1")
        let snapshot = Snapshot(nodes: [Fixture.nodeInfo(Fixture.node("n1"), pods: [existing]), Fixture.nodeInfo(Fixture.node("n2"))],
                                namespaceLabels: ["blue-ns": ["team": "blue"]])
        let pod = Fixture.podInfo("p", spec: Self.affinity(anti: [t]))
        let statuses = Fixture.filter(InterPodAffinity(), pod, snapshot)
        #expect(statuses["n1"]?.reasons == [Self.antiReason])
        #expect(statuses["n2"]?.isSuccess == true)
    }

    @Test func preferredTermsScore() {
        let spec: JSON = ["affinity": [
            "podAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [["weight": 50, "podAffinityTerm": Self.term("cache", "zone")]]],
            "podAntiAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [["weight": 100, "podAffinityTerm": Self.term("web", Self.host)]]],
        ]]
        let snapshot = Self.cluster(["n1": [Fixture.podInfo("c", labels: ["app": "cache"], node: "n1")],
                                     "n2": [Fixture.podInfo("w", labels: ["app": "web"], node: "n2")]])
        let scores = Fixture.scores(InterPodAffinity(), Fixture.podInfo("p", labels: ["app": "web"], spec: spec), snapshot)
        // n1: +50 (zone a has the cache); n2: +50 - 100; n3: 0. Min-max scaled: n1 100, n3 50, n2 0.
        #expect(scores == ["n1": 100, "n2": 0, "n3": 50])
    }
}
