import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct NodeLifecycleControllerTests {
    typealias F = ClusterControllerFixture

    static func controller(_ f: F) -> NodeLifecycleController {
        var settings = NodeLifecycleController.Configuration()
        settings.gracePeriod = .seconds(40)
        return NodeLifecycleController(configuration: settings, client: f.client, informers: f.informers, events: f.events,
                                       clock: f.clock, wallClock: f.wallClock, logger: HousekeepingCluster.logger)
    }

    @Test func silentNodeBecomesUnknownAndTaintedAndItsPodsNotReady() async throws {
        try await F.with([.nodes, .leases, .pods]) { f in
            let controller = Self.controller(f)
            let t0 = Timestamp.format(f.wallClock())
            for name in ["a", "b"] {
                try await f.createNode(name, heartbeat: t0)
                _ = try await f.client.create(.leases, namespace: "kube-node-lease", F.lease(name, renewTime: Timestamp.formatMicro(f.wallClock())))
            }
            _ = try await f.client.create(.pods, F.pod("on-a", node: "a"))
            try await f.setRunning("on-a")
            try await f.running {
                try await f.waitUntil("caches") {
                    f.lister(.leases).count == 2 && PodState.isReady(f.lister(.pods).get(namespace: "default", name: "on-a") ?? [:])
                        && f.lister(.nodes).list().allSatisfy { NodeConditions.ready($0) == "True" }
                }
                await controller.monitorNodeHealth()
                // b keeps renewing its Lease; a goes silent.
                f.clock.advance(by: .seconds(30))
                _ = try await f.client.patch(.leases, namespace: "kube-node-lease", name: "b", type: .merge,
                                             ["spec": ["renewTime": .string(Timestamp.formatMicro(f.wallClock()))]])
                try await f.waitUntil("b renewed") {
                    f.lister(.leases).get(namespace: "kube-node-lease", name: "b")?["spec", "renewTime"]?.string != nil
                        && NodeHealth.later(f.lister(.leases).get(namespace: "kube-node-lease", name: "b")!["spec", "renewTime"]!.string!,
                                            than: Timestamp.formatMicro(f.start + 1))
                }
                await controller.monitorNodeHealth()
                #expect(NodeConditions.ready(try await f.client.get(.nodes, name: "a")) == "True", "within the grace period")
                f.clock.advance(by: .seconds(11))
                await controller.monitorNodeHealth()

                let a = try await f.client.get(.nodes, name: "a")
                let ready = NodeConditions.condition(a, "Ready")
                #expect(ready?["status"] == "Unknown")
                #expect(ready?["reason"] == "NodeStatusUnknown")
                #expect(ready?["message"] == "Kubelet stopped posting node status.")
                #expect(ready?["lastHeartbeatTime"]?.string == t0, "the heartbeat is the kubelet's last")
                #expect(NodeConditions.condition(a, "MemoryPressure")?["status"] == "Unknown")
                #expect(NodeConditions.condition(a, "DiskPressure")?["reason"] == "NodeStatusNeverUpdated")
                let taints = (a["spec", "taints"]?.array ?? []).map { "\($0["key"]?.string ?? ""):\($0["effect"]?.string ?? "")" }
                #expect(taints == ["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"])
                #expect(a["spec", "taints"]?.array?.last?["timeAdded"]?.string != nil)
                let b = try await f.client.get(.nodes, name: "b")
                #expect(NodeConditions.ready(b) == "True")
                #expect(b["spec", "taints"] == nil)
                let pod = try await f.client.get(.pods, namespace: "default", name: "on-a")
                #expect(PodState.readyCondition(pod)?["status"] == "False")

                // The kubelet posts status again: the controller removes its taints.
                var back = a
                back["status", "conditions"] = F.node("a", heartbeat: Timestamp.format(f.wallClock()))["status", "conditions"]
                let written = try await f.client.updateStatus(.nodes, back)
                try await f.waitUntil("a ready in the cache") {
                    f.lister(.nodes).get(name: "a")?["metadata", "resourceVersion"] == written["metadata", "resourceVersion"]
                }
                await controller.monitorNodeHealth()
                #expect(try await f.client.get(.nodes, name: "a")["spec", "taints"] == nil)
            }
        }
    }

    @Test func notReadyNodeGetsTheNotReadyTaints() async throws {
        try await F.with([.nodes, .leases, .pods]) { f in
            let controller = Self.controller(f)
            let now = Timestamp.format(f.wallClock())
            try await f.createNode("n", ready: "False", heartbeat: now)
            try await f.createNode("ok", heartbeat: now)
            try await f.running {
                try await f.waitUntil("cache") { NodeConditions.ready(f.lister(.nodes).get(name: "n") ?? [:]) == "False"
                    && f.lister(.nodes).count == 2 }
                await controller.monitorNodeHealth()
                let n = try await f.client.get(.nodes, name: "n")
                let taints = (n["spec", "taints"]?.array ?? []).map { "\($0["key"]?.string ?? ""):\($0["effect"]?.string ?? "")" }
                #expect(taints == ["node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"])
                #expect(NodeConditions.ready(n) == "False", "a status the kubelet posts is kept")
            }
        }
    }

    @Test func withNoNodeReadyTheNoExecuteTaintsAreWithheld() async throws {
        try await F.with([.nodes, .leases, .pods]) { f in
            let controller = Self.controller(f)
            let now = Timestamp.format(f.wallClock())
            try await f.createNode("x", heartbeat: now)
            try await f.createNode("y", heartbeat: now)
            try await f.running {
                try await f.waitUntil("cache") { f.lister(.nodes).list().filter { NodeConditions.ready($0) == "True" }.count == 2 }
                await controller.monitorNodeHealth()
                f.clock.advance(by: .seconds(41))
                await controller.monitorNodeHealth()
                for name in ["x", "y"] {
                    let node = try await f.client.get(.nodes, name: name)
                    #expect(NodeConditions.ready(node) == "Unknown")
                    let taints = (node["spec", "taints"]?.array ?? []).map { "\($0["key"]?.string ?? ""):\($0["effect"]?.string ?? "")" }
                    #expect(taints == ["node.kubernetes.io/unreachable:NoSchedule"])
                }
            }
        }
    }

    static func taintList(_ node: JSON) -> [String] {
        (node["spec", "taints"]?.array ?? []).map { "\($0["key"]?.string ?? ""):\($0["effect"]?.string ?? "")" }
    }

    @Test func noExecuteTaintsFollowTheZoneEvictionRate() async throws {
        try await F.with([.nodes, .leases, .pods]) { f in
            let controller = Self.controller(f)
            let now = Timestamp.format(f.wallClock())
            for name in ["n1", "n2", "n3", "n4", "n5"] { try await f.createNode(name, heartbeat: now) }
            try await f.running {
                try await f.waitUntil("cache") { f.lister(.nodes).list().filter { NodeConditions.ready($0) == "True" }.count == 5 }
                await controller.monitorNodeHealth()
                // n1 and n2 go silent (2 of 5: the zone stays Normal): one NoExecute taint per 10 s.
                f.clock.advance(by: .seconds(41))
                for name in ["n3", "n4", "n5"] {
                    var node = try await f.client.get(.nodes, name: name)
                    node["status"] = F.node(name, heartbeat: Timestamp.format(f.wallClock()))["status"]
                    _ = try await f.client.updateStatus(.nodes, node)
                }
                try await f.waitUntil("heartbeats") { f.lister(.nodes).list().filter {
                    NodeConditions.condition($0, "Ready")?["lastHeartbeatTime"]?.string != now }.count == 3 }
                await controller.monitorNodeHealth()
                var tainted = try await ["n1", "n2"].asyncMap { Self.taintList(try await f.client.get(.nodes, name: $0)) }
                #expect(tainted.filter { $0.contains("node.kubernetes.io/unreachable:NoExecute") }.count == 1)
                #expect(tainted.allSatisfy { $0.contains("node.kubernetes.io/unreachable:NoSchedule") })
                try await f.waitUntil("taints in cache") {
                    f.lister(.nodes).list().filter { !Taints.noExecute($0).isEmpty }.count == 1 }
                f.clock.advance(by: .seconds(5))
                await controller.monitorNodeHealth()
                #expect(try await f.client.list(.nodes).items.filter { !Taints.noExecute($0).isEmpty }.count == 1, "not yet")
                f.clock.advance(by: .seconds(5))
                await controller.monitorNodeHealth()
                tainted = try await ["n1", "n2"].asyncMap { Self.taintList(try await f.client.get(.nodes, name: $0)) }
                #expect(tainted.allSatisfy { $0.contains("node.kubernetes.io/unreachable:NoExecute") })
            }
        }
    }

    @Test func zoneStates() {
        #expect(ZoneStates.state(ready: 0, notReady: 1, threshold: 0.55) == .fullDisruption)
        #expect(ZoneStates.state(ready: 3, notReady: 2, threshold: 0.55) == .normal)
        #expect(ZoneStates.state(ready: 1, notReady: 3, threshold: 0.55) == .partialDisruption)
        #expect(ZoneStates.state(ready: 3, notReady: 3, threshold: 0.55) == .normal)
        var zones = ZoneStates()
        let rates = ZoneStates.Rates()
        zones.states["z"] = .partialDisruption
        let small = zones.mayTaint(zone: "z", size: 10, now: .zero, rates: rates)
        #expect(!small, "small zone: no evictions")
        let first = zones.mayTaint(zone: "z", size: 60, now: .zero, rates: rates)
        #expect(first, "large zone: the secondary rate, burst 1")
        let early = zones.mayTaint(zone: "z", size: 60, now: .seconds(99), rates: rates)
        #expect(!early)
        let later = zones.mayTaint(zone: "z", size: 60, now: .seconds(199), rates: rates)
        #expect(later)
    }

    @Test(arguments: [
        (["key": "k", "operator": "Exists"] as JSON, true),
        (["key": "k", "operator": "Equal", "value": "v"] as JSON, true),
        (["key": "k", "value": "w"] as JSON, false),
        (["operator": "Exists"] as JSON, true),
        (["operator": "Exists", "effect": "NoSchedule"] as JSON, false),
        (["key": "other", "operator": "Exists"] as JSON, false),
    ])
    func tolerations(_ toleration: JSON, _ expected: Bool) {
        #expect(Taints.tolerates(toleration, ["key": "k", "value": "v", "effect": "NoExecute"]) == expected)
    }

    @Test func evictionDelays() {
        let taints: [JSON] = [["key": "node.kubernetes.io/unreachable", "effect": "NoExecute"]]
        func pod(_ tolerations: [JSON]) -> JSON { ["spec": ["tolerations": .array(tolerations)]] }
        #expect(EvictionDelay.of(pod: pod([]), taints: taints) == .now)
        #expect(EvictionDelay.of(pod: pod([F.toleration("node.kubernetes.io/unreachable", seconds: 300)]), taints: taints)
                == .after(seconds: 300))
        #expect(EvictionDelay.of(pod: pod([F.toleration("node.kubernetes.io/unreachable", seconds: nil)]), taints: taints) == .never)
        #expect(EvictionDelay.of(pod: pod([F.toleration("node.kubernetes.io/unreachable", seconds: 0)]), taints: taints) == .now)
        #expect(EvictionDelay.of(pod: pod([]), taints: []) == .never)
        let two: [JSON] = taints + [["key": "x", "effect": "NoExecute"]]
        #expect(EvictionDelay.of(pod: pod([F.toleration("node.kubernetes.io/unreachable", seconds: 5)]), taints: two) == .now)
        #expect(EvictionDelay.of(pod: pod([F.toleration("node.kubernetes.io/unreachable", seconds: 5), F.toleration("x", seconds: 3)]),
                                 taints: two) == .after(seconds: 3))
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for e in self { result.append(try await transform(e)) }
        return result
    }
}
