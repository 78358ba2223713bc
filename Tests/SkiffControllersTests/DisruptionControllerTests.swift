import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct DisruptionControllerTests {
    typealias F = ClusterControllerFixture

    static func budget(_ name: String, _ spec: JSON) -> JSON {
        var s = spec
        s["selector"] = ["matchLabels": ["app": "web"]]
        return ["apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name), "namespace": "default"],
                "spec": s]
    }

    @Test func minAvailableCountsReadyPodsAndDisruptedPodsExpire() async throws {
        try await F.with([.pods, .podDisruptionBudgets]) { f in
            let controller = DisruptionController(client: f.client, informers: f.informers, events: f.events, clock: f.clock,
                                                  wallClock: f.wallClock, logger: HousekeepingCluster.logger)
            for (i, name) in ["a", "b", "c"].enumerated() {
                _ = try await f.client.create(.pods, F.pod(name, node: "n", labels: ["app": "web"]))
                try await f.setRunning(name, ip: "10.0.0.\(i + 2)")
            }
            _ = try await f.client.create(.podDisruptionBudgets, Self.budget("pdb", ["minAvailable": 2]))
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.podDisruptionBudgets).count == 1
                    && f.lister(.pods).list().filter(PodState.isReady).count == 3 }
                try await controller.reconcile("default/pdb")
                var pdb = try await f.client.get(.podDisruptionBudgets, namespace: "default", name: "pdb")
                #expect(pdb["status", "currentHealthy"] == 3)
                #expect(pdb["status", "desiredHealthy"] == 2)
                #expect(pdb["status", "expectedPods"] == 3)
                #expect(pdb["status", "disruptionsAllowed"] == 1)
                #expect(pdb["status", "observedGeneration"] == pdb["metadata", "generation"])
                let condition = pdb["status", "conditions"]?.array?.first { $0["type"] == "DisruptionAllowed" }
                #expect(condition?["status"] == "True")
                #expect(condition?["reason"] == "SufficientPods")

                // An eviction recorded "a" a moment ago (and a Pod that no longer exists).
                let now = f.wallClock()
                pdb["status", "disruptedPods"] = ["a": .string(Timestamp.format(now)), "gone": .string(Timestamp.format(now))]
                pdb["status", "disruptionsAllowed"] = 0
                _ = try await f.client.updateStatus(.podDisruptionBudgets, pdb)
                try await f.waitUntil("disrupted in cache") {
                    f.lister(.podDisruptionBudgets).get(namespace: "default", name: "pdb")?["status", "disruptedPods", "a"] != nil }
                try await controller.reconcile("default/pdb")
                pdb = try await f.client.get(.podDisruptionBudgets, namespace: "default", name: "pdb")
                #expect(pdb["status", "currentHealthy"] == 2)
                #expect(pdb["status", "disruptionsAllowed"] == 0)
                #expect(pdb["status", "disruptedPods"]?.members.keys.sorted() == ["a"])
                #expect(pdb["status", "conditions"]?.array?.first { $0["type"] == "DisruptionAllowed" }?["reason"] == "InsufficientPods")

                // Two minutes later "a" was not deleted: its entry goes.
                f.clock.advance(by: .seconds(121))
                try await f.waitUntil("status in cache") {
                    f.lister(.podDisruptionBudgets).get(namespace: "default", name: "pdb")?["status", "currentHealthy"] == 2 }
                try await controller.reconcile("default/pdb")
                pdb = try await f.client.get(.podDisruptionBudgets, namespace: "default", name: "pdb")
                #expect(pdb["status", "disruptedPods"] == nil)
                #expect(pdb["status", "disruptionsAllowed"] == 1)
            }
        }
    }

    @Test func aControllerWithoutScaleFailsSafe() async throws {
        try await F.with([.pods, .podDisruptionBudgets]) { f in
            let controller = DisruptionController(client: f.client, informers: f.informers, events: f.events, clock: f.clock,
                                                  wallClock: f.wallClock, logger: HousekeepingCluster.logger)
            var pod = F.pod("job-pod", node: "n", labels: ["app": "web"])
            pod["metadata", "ownerReferences"] = [["apiVersion": "batch/v1", "kind": "Job", "name": "job", "uid": "1234", "controller": true]]
            _ = try await f.client.create(.pods, pod)
            try await f.setRunning("job-pod", ip: "10.0.0.2")
            _ = try await f.client.create(.podDisruptionBudgets, Self.budget("pdb", ["maxUnavailable": 1]))
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.podDisruptionBudgets).count == 1 && f.lister(.pods).count == 1 }
                await #expect(throws: (any Error).self) { try await controller.reconcile("default/pdb") }
                let pdb = try await f.client.get(.podDisruptionBudgets, namespace: "default", name: "pdb")
                #expect(pdb["status", "disruptionsAllowed"] == 0)
                let condition = pdb["status", "conditions"]?.array?.first { $0["type"] == "DisruptionAllowed" }
                #expect(condition?["reason"] == "SyncFailed")
                #expect(condition?["message"] == "found no controllers for pod \"job-pod\"")
            }
        }
    }

    @Test func percentagesAndMaxUnavailableUseTheControllersScale() async throws {
        try await WorkloadFixture.with { w in
            let events = EventRecorder(client: w.client, component: "test", logger: HousekeepingCluster.logger)
            let controller = DisruptionController(client: w.client, informers: w.informers, events: events,
                                                  logger: HousekeepingCluster.logger)
            w.informers.informer(for: .podDisruptionBudgets).addEventHandler(EventHandler(
                onAdd: { _ in w.changed() }, onUpdate: { _, _ in w.changed() }, onDelete: { _ in w.changed() }))
            w.informers.start()
            _ = try await w.client.create(.deployments, Workload.deployment("web", replicas: 4))
            try await w.waitUntil("4 ready") { w.activePods(["app": "web"]).filter(PodState.isReady).count == 4 }
            let cases: [(JSON, Int64, Int64)] = [
                (["maxUnavailable": "25%"], 3, 1),
                (["maxUnavailable": 1], 3, 1),
                (["minAvailable": "50%"], 2, 2),
                (["minAvailable": "90%"], 4, 0),
            ]
            for (i, (spec, _, _)) in cases.enumerated() {
                _ = try await w.client.create(.podDisruptionBudgets, Self.budget("pdb\(i)", spec))
            }
            try await w.informers.informer(for: .podDisruptionBudgets).waitForSync()
            for (i, (spec, desired, allowed)) in cases.enumerated() {
                try await w.waitUntil("pdb\(i) in cache") {
                    w.informers.informer(for: .podDisruptionBudgets).lister.get(namespace: "default", name: "pdb\(i)") != nil
                }
                try await controller.reconcile("default/pdb\(i)")
                let pdb = try await w.client.get(.podDisruptionBudgets, namespace: "default", name: "pdb\(i)")
                #expect(pdb["status", "expectedPods"] == 4, "\(spec)")
                #expect(pdb["status", "desiredHealthy"]?.int == desired, "\(spec)")
                #expect(pdb["status", "disruptionsAllowed"]?.int == allowed, "\(spec)")
                #expect(pdb["status", "currentHealthy"] == 4, "\(spec)")
            }
        }
    }
}
