import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct PodGCControllerTests {
    typealias F = ClusterControllerFixture

    static func controller(_ f: F, threshold: Int = 12_500) -> PodGCController {
        var settings = PodGCController.Configuration()
        settings.terminatedPodThreshold = threshold
        return PodGCController(configuration: settings, client: f.client, informers: f.informers, clock: f.clock,
                               wallClock: f.wallClock, logger: HousekeepingCluster.logger)
    }

    func finish(_ f: F, _ name: String, phase: String, reason: String? = nil) async throws {
        var pod = try await f.client.get(.pods, namespace: "default", name: name)
        pod["status", "phase"] = .string(phase)
        if let reason { pod["status", "reason"] = .string(reason) }
        _ = try await f.client.updateStatus(.pods, pod)
    }

    @Test func terminatedPodsOverTheThresholdGoEvictedThenOldestFirst() async throws {
        try await F.with([.pods, .nodes]) { f in
            let controller = Self.controller(f, threshold: 2)
            try await f.createNode("n", heartbeat: Timestamp.format(f.wallClock()))
            for name in ["p1", "p2", "p3", "p4", "running"] { _ = try await f.client.create(.pods, F.pod(name, node: "n")) }
            try await finish(f, "p1", phase: "Succeeded")
            try await finish(f, "p2", phase: "Failed")
            try await finish(f, "p3", phase: "Failed", reason: "Evicted")
            try await finish(f, "p4", phase: "Succeeded")
            try await f.setRunning("running")
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.pods).list().filter(PodGCController.isTerminated).count == 4
                    && f.lister(.nodes).count == 1 }
                await controller.collect()
                let left = try await f.client.list(.pods, namespace: "default").items.map(\.objectName).sorted()
                #expect(left == ["p2", "p4", "running"])
            }
        }
    }

    @Test func orphanedPodsGoAfterTheQuarantine() async throws {
        try await F.with([.pods, .nodes]) { f in
            let controller = Self.controller(f)
            try await f.createNode("here", heartbeat: Timestamp.format(f.wallClock()))
            _ = try await f.client.create(.pods, F.pod("orphan", node: "gone"))
            try await f.setRunning("orphan")
            _ = try await f.client.create(.pods, F.pod("fine", node: "here"))
            _ = try await f.client.create(.pods, F.pod("pending", node: nil))
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.pods).count == 3 && f.lister(.nodes).count == 1 }
                await controller.collect()
                f.clock.advance(by: .seconds(39))
                await controller.collect()
                #expect(try await f.cluster.exists(.pods, namespace: "default", name: "orphan") != nil, "still in quarantine")
                f.clock.advance(by: .seconds(1))
                await controller.collect()
                #expect(try await f.cluster.exists(.pods, namespace: "default", name: "orphan") == nil)
                #expect(try await f.cluster.exists(.pods, namespace: "default", name: "fine") != nil)
                #expect(try await f.cluster.exists(.pods, namespace: "default", name: "pending") != nil)
            }
        }
    }

    @Test func unscheduledTerminatingPodsAreFailedAndForceDeleted() async throws {
        try await F.with([.pods, .nodes]) { f in
            let controller = Self.controller(f)
            var pod = F.pod("stuck", node: nil)
            pod["metadata", "finalizers"] = ["example.com/hold"]
            _ = try await f.client.create(.pods, pod)
            _ = try await f.client.delete(.pods, namespace: "default", name: "stuck")
            try await f.running {
                try await f.waitUntil("terminating in cache") { f.lister(.pods).get(namespace: "default", name: "stuck")?.isBeingDeleted == true }
                await controller.collect()
                let after = try await f.client.get(.pods, namespace: "default", name: "stuck")
                #expect(after["status", "phase"] == "Failed")
                #expect(after["metadata", "deletionGracePeriodSeconds"] == 0)
            }
        }
    }
}
