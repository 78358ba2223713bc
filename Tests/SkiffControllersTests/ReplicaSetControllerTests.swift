import SkiffClient
import SkiffModel
import Synchronization
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct ReplicaSetControllerTests {
    @Test func createsPodsFromTheTemplateAndReportsStatus() async throws {
        try await WorkloadFixture.with(deployments: false) { f in
            let rs = try await f.client.create(.replicaSets, Workload.replicaSet("web", replicas: 3))
            try await f.waitUntil("3 pods, all ready, in the status") {
                guard let rs = f.replicaSets.get(namespace: "default", name: "web") else { return false }
                return rs.statusCount("replicas") == 3 && rs.statusCount("readyReplicas") == 3 && rs.statusCount("availableReplicas") == 3
                    && rs.statusCount("fullyLabeledReplicas") == 3 && rs.statusCount("observedGeneration") == 1
            }
            let pods = f.activePods(["app": "web"])
            #expect(pods.count == 3)
            for pod in pods {
                #expect(pod.objectName.hasPrefix("web-") && pod.objectName.count == "web-".count + 5)
                #expect(pod["metadata", "ownerReferences"] == [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                                                "uid": .string(rs.objectUID), "controller": true, "blockOwnerDeletion": true]])
                #expect(pod["spec", "containers"]?.array?.first?["image"] == "busybox:1")
            }
        }
    }

    @Test func scalesUpAndDownThroughTheScaleSubresource() async throws {
        try await WorkloadFixture.with(deployments: false) { f in
            _ = try await f.client.create(.replicaSets, Workload.replicaSet("web", replicas: 2))
            try await f.waitUntil("2 ready") { f.replicaSets.get(namespace: "default", name: "web")?.statusCount("readyReplicas") == 2 }
            _ = try await f.client.patch(.replicaSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 6]],
                                         subresource: "scale")
            try await f.waitUntil("6 ready") {
                f.activePods(["app": "web"]).count == 6 && f.replicaSets.get(namespace: "default", name: "web")?.statusCount("readyReplicas") == 6
            }
            _ = try await f.client.patch(.replicaSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 1]],
                                         subresource: "scale")
            try await f.waitUntil("1 pod left, in the status") {
                f.activePods(["app": "web"]).count == 1 && f.replicaSets.get(namespace: "default", name: "web")?.statusCount("replicas") == 1
                    && f.replicaSets.get(namespace: "default", name: "web")?.statusCount("observedGeneration") == 3
            }
            let onServer = try await f.client.list(.pods, namespace: "default").items
            #expect(onServer.count == 1)
        }
    }

    @Test func scaleDownDeletesPodsThatAreNotReadyFirst() async throws {
        try await WorkloadFixture.with(autoReady: false, deployments: false) { f in
            _ = try await f.client.create(.replicaSets, Workload.replicaSet("web", replicas: 4))
            try await f.waitUntil("4 pods") { f.activePods(["app": "web"]).count == 4 }
            let names = f.activePods(["app": "web"]).map(\.objectName).sorted()
            let readyOnes = Array(names.prefix(2))
            try await f.markReady(readyOnes)
            try await f.waitUntil("2 ready") { f.replicaSets.get(namespace: "default", name: "web")?.statusCount("readyReplicas") == 2 }
            _ = try await f.client.patch(.replicaSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 2]])
            try await f.waitUntil("2 pods") { f.activePods(["app": "web"]).count == 2 }
            #expect(f.activePods(["app": "web"]).map(\.objectName).sorted() == readyOnes)
        }
    }

    @Test func adoptsMatchingOrphansAndReleasesPodsThatStopMatching() async throws {
        try await WorkloadFixture.with(deployments: false) { f in
            for name in ["orphan-a", "orphan-b"] {
                _ = try await f.client.create(.pods, Workload.pod(name, labels: ["app": "web"]))
            }
            _ = try await f.client.create(.pods, Workload.pod("stranger", labels: ["app": "other"]))
            let rs = try await f.client.create(.replicaSets, Workload.replicaSet("web", replicas: 3))
            try await f.waitUntil("3 pods owned, status 3") {
                f.activePods(["app": "web"]).filter { $0.controllerRef?["uid"]?.string == rs.objectUID }.count == 3
                    && f.replicaSets.get(namespace: "default", name: "web")?.statusCount("replicas") == 3
            }
            // The two orphans were adopted; one Pod was created.
            for name in ["orphan-a", "orphan-b"] {
                let pod = try await f.client.get(.pods, namespace: "default", name: name)
                #expect(pod.controllerRef?["uid"]?.string == rs.objectUID)
                #expect(pod.controllerRef?["blockOwnerDeletion"] == true)
            }
            #expect(try await f.client.get(.pods, namespace: "default", name: "stranger").controllerRef == nil)
            #expect(f.activePods(["app": "web"]).count == 3)

            // A Pod relabelled out of the selector is released and replaced.
            _ = try await f.client.patch(.pods, namespace: "default", name: "orphan-a", type: .merge,
                                         ["metadata": ["labels": ["app": "debug"]]])
            try await f.waitUntil("orphan-a released, 3 pods again") {
                f.pods.get(namespace: "default", name: "orphan-a")?.controllerRef == nil && f.activePods(["app": "web"]).count == 3
            }
            #expect(f.pods.get(namespace: "default", name: "orphan-a")?["metadata", "ownerReferences"] == nil
                    || f.pods.get(namespace: "default", name: "orphan-a")?["metadata", "ownerReferences"] == [])
        }
    }

    @Test func expectationsKeepAReconcileFromActingOnAStaleCache() async throws {
        try await HousekeepingCluster.with { cluster in
            let informers = SharedInformers(client: cluster.client, logger: HousekeepingCluster.logger)
            let events = EventRecorder(client: cluster.client, component: "test", logger: HousekeepingCluster.logger)
            let controller = ReplicaSetController(client: cluster.client, informers: informers, events: events, logger: HousekeepingCluster.logger)
            informers.start()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await informers.run() }
                for informer in controller.synced { try await informer.waitForSync() }
                _ = try await cluster.client.create(.replicaSets, Workload.replicaSet("web", replicas: 3))
                let rsInformer = informers.informer(for: .replicaSets)
                while rsInformer.lister.get(namespace: "default", name: "web") == nil { await Task.yield() }
                // Two passes back to back: the second must not create again, whatever the cache has seen.
                try await controller.reconcile("default/web")
                try await controller.reconcile("default/web")
                #expect(try await cluster.client.list(.pods, namespace: "default").items.count == 3)
                group.cancelAll()
            }
        }
    }

    @Test func expectationsCountCreatesAndTrackDeletesByKey() {
        let clock = ManualClock()
        let e = ControllerExpectations(clock: clock, timeout: .seconds(300))
        #expect(e.satisfied("ns/rs"))
        e.expectCreations("ns/rs", 2)
        #expect(!e.satisfied("ns/rs"))
        e.creationObserved("ns/rs")
        #expect(!e.satisfied("ns/rs"))
        e.creationObserved("ns/rs")
        #expect(e.satisfied("ns/rs"))
        e.expectDeletions("ns/rs", ["ns/a", "ns/b"])
        e.deletionObserved("ns/rs", "ns/a")
        e.deletionObserved("ns/rs", "ns/a")  // seen twice (deletionTimestamp, then the delete): counted once
        #expect(!e.satisfied("ns/rs"))
        clock.advance(by: .seconds(301))
        #expect(e.satisfied("ns/rs"))  // expired
        e.deletionObserved("ns/rs", "ns/b")
        #expect(e.pending("ns/rs")?.deletes == 0)
    }

    static func pod(_ name: String, node: String = "", phase: String = "Pending", readySince: Double? = nil,
                    created: Double = 1_000, restarts: Int64 = 0, cost: String? = nil) -> JSON {
        var p: JSON = ["metadata": ["name": .string(name), "uid": .string(name), "creationTimestamp": .string(Timestamp.format(created))],
                       "spec": ["nodeName": .string(node)], "status": ["phase": .string(phase)]]
        if let readySince {
            p["status", "conditions"] = [["type": "Ready", "status": "True", "lastTransitionTime": .string(Timestamp.format(readySince))]]
        }
        if restarts > 0 { p["status", "containerStatuses"] = [["name": "app", "restartCount": .int(restarts)]] }
        if let cost { p["metadata", "annotations"] = ["controller.kubernetes.io/pod-deletion-cost": .string(cost)] }
        return p
    }

    /// Pairs (deleted first, deleted later) of the deletion order.
    static let orderCases: [(String, JSON, JSON)] = [
        ("unscheduled before scheduled", pod("a"), pod("b", node: "n1")),
        ("pending before running", pod("a", node: "n1"), pod("b", node: "n1", phase: "Running")),
        ("not ready before ready", pod("a", node: "n1", phase: "Running"), pod("b", node: "n1", phase: "Running", readySince: 500)),
        ("lower deletion cost first", pod("a", node: "n1", phase: "Running", cost: "-5"), pod("b", node: "n1", phase: "Running")),
        ("ready for less time first", pod("a", node: "n1", phase: "Running", readySince: 99_000),
         pod("b", node: "n1", phase: "Running", readySince: 1_000)),
        ("more restarts first", pod("a", node: "n1", phase: "Running", restarts: 3), pod("b", node: "n1", phase: "Running")),
        ("newer first", pod("a", node: "n1", created: 99_000), pod("b", node: "n1", created: 1_000)),
    ]

    @Test(arguments: orderCases.indices) func deletionOrder(_ index: Int) {
        let (what, first, later) = Self.orderCases[index]
        let order = PodDeletionOrder(now: 100_000)
        #expect(order.podsToDelete([later, first], related: [], count: 1).map(\.objectName) == ["a"], "\(what)")
        #expect(order.podsToDelete([first, later], related: [], count: 1).map(\.objectName) == ["a"], "\(what)")
    }

    @Test func deletionPrefersNodesWithMoreRelatedPods() {
        let crowded = Self.pod("a", node: "n1", phase: "Running"), alone = Self.pod("b", node: "n2", phase: "Running")
        let related = [crowded, alone, Self.pod("c", node: "n1", phase: "Running")]
        #expect(PodDeletionOrder(now: 100_000).podsToDelete([alone, crowded], related: related, count: 1).map(\.objectName) == ["a"])
    }
}
