import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct TaintEvictionControllerTests {
    typealias F = ClusterControllerFixture

    @Test func podsWithoutTolerationGoAtOnceTheOthersAfterTolerationSeconds() async throws {
        try await F.with([.nodes, .pods, .events]) { f in
            let controller = TaintEvictionController(client: f.client, informers: f.informers, events: f.events, clock: f.clock,
                                                     wallClock: f.wallClock, logger: HousekeepingCluster.logger)
            try await f.createNode("n", heartbeat: Timestamp.format(f.wallClock()))
            var node = try await f.client.get(.nodes, name: "n")
            node["spec", "taints"] = [["key": "node.kubernetes.io/unreachable", "effect": "NoExecute"],
                                      ["key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"]]
            _ = try await f.client.update(.nodes, node)
            let unreachable = "node.kubernetes.io/unreachable"
            // (Every Pod gets the 300 s defaults unless it tolerates the taint itself.)
            _ = try await f.client.create(.pods, F.pod("plain", node: "n", tolerations: [F.toleration(unreachable, seconds: 0)]))
            _ = try await f.client.create(.pods, F.pod("patient", node: "n", tolerations: [F.toleration(unreachable, seconds: 30)]))
            _ = try await f.client.create(.pods, F.pod("forever", node: "n", tolerations: [F.toleration(unreachable, seconds: nil)]))
            _ = try await f.client.create(.pods, F.pod("elsewhere", node: "m", tolerations: [F.toleration(unreachable, seconds: 0)]))
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.pods).count == 4 && f.lister(.nodes).get(name: "n")?["spec", "taints"] != nil }
                for name in ["plain", "patient", "forever", "elsewhere"] { try await controller.reconcile("default/\(name)") }
                let plain = try await f.client.get(.pods, namespace: "default", name: "plain")
                #expect(plain.isBeingDeleted)
                let target = plain["status", "conditions"]?.array?.first { $0["type"] == "DisruptionTarget" }
                #expect(target?["status"] == "True")
                #expect(target?["reason"] == "DeletionByTaintManager")
                #expect(target?["message"] == "Taint manager: deleting due to NoExecute taint")
                for name in ["patient", "forever", "elsewhere"] {
                    #expect(!(try await f.client.get(.pods, namespace: "default", name: name)).isBeingDeleted, "\(name) stays for now")
                }
                f.clock.advance(by: .seconds(29))
                try await controller.reconcile("default/patient")
                #expect(!(try await f.client.get(.pods, namespace: "default", name: "patient")).isBeingDeleted)
                f.clock.advance(by: .seconds(1))
                try await controller.reconcile("default/patient")
                try await controller.reconcile("default/forever")
                #expect((try await f.client.get(.pods, namespace: "default", name: "patient")).isBeingDeleted)
                #expect(!(try await f.client.get(.pods, namespace: "default", name: "forever")).isBeingDeleted)
                try await f.waitUntil("eviction events") {
                    let messages = f.lister(.events).list(namespace: "default").filter { $0["reason"] == "TaintManagerEviction" }
                        .compactMap { $0["message"]?.string }
                    return Set(messages) == ["Marking for deletion Pod default/plain", "Marking for deletion Pod default/patient"]
                }
            }
        }
    }

    @Test func removingTheTaintCancelsAScheduledEviction() async throws {
        try await F.with([.nodes, .pods]) { f in
            let controller = TaintEvictionController(client: f.client, informers: f.informers, events: f.events, clock: f.clock,
                                                     wallClock: f.wallClock, logger: HousekeepingCluster.logger)
            try await f.createNode("n", heartbeat: Timestamp.format(f.wallClock()))
            var node = try await f.client.get(.nodes, name: "n")
            node["spec", "taints"] = [["key": "node.kubernetes.io/not-ready", "effect": "NoExecute"]]
            let tainted = try await f.client.update(.nodes, node)
            _ = try await f.client.create(.pods, F.pod("p", node: "n", tolerations: [F.toleration("node.kubernetes.io/not-ready", seconds: 10)]))
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.pods).count == 1 && f.lister(.nodes).get(name: "n")?["spec", "taints"] != nil }
                try await controller.reconcile("default/p")
                #expect(controller.scheduled.withLock { $0["default/p"] } != nil)
                var untainted = tainted
                untainted["spec", "taints"] = nil
                _ = try await f.client.update(.nodes, untainted)
                try await f.waitUntil("untainted") { f.lister(.nodes).get(name: "n")?["spec", "taints"] == nil }
                try await controller.reconcile("default/p")
                #expect(controller.scheduled.withLock { $0["default/p"] } == nil)
                f.clock.advance(by: .seconds(10))
                try await controller.reconcile("default/p")
                #expect(!(try await f.client.get(.pods, namespace: "default", name: "p")).isBeingDeleted)
            }
        }
    }
}
