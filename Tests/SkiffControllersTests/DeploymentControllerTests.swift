import SkiffClient
import SkiffModel
import Synchronization
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct DeploymentControllerTests {
    static let progressing = DeploymentConditions.progressing

    /// Whether the Deployment's latest spec is fully rolled out (`kubectl rollout status` succeeds).
    static func complete(_ f: WorkloadFixture, _ name: String, image: String? = nil) -> Bool {
        guard let d = f.deployments.get(namespace: "default", name: name) else { return false }
        let n = d.specReplicas
        let imageOK = image.map { img in f.replicaSets(of: name).contains { rs in
            rs.specReplicas == n && rs["spec", "template", "spec", "containers"]?.array?.first?["image"]?.string == img } } ?? true
        return d.statusCount("observedGeneration") >= Int(d.objectGeneration) && d.statusCount("updatedReplicas") == n
            && d.statusCount("replicas") == n && d.statusCount("availableReplicas") == n && imageOK
    }

    static func condition(_ d: JSON?, _ type: String) -> (status: String, reason: String)? {
        guard let c = d.flatMap({ DeploymentConditions.get($0["status"] ?? [:], type) }) else { return nil }
        return (c["status"]?.string ?? "", c["reason"]?.string ?? "")
    }

    static func setImage(_ f: WorkloadFixture, _ name: String, _ image: String) async throws {
        _ = try await f.client.patch(.deployments, namespace: "default", name: name, type: .strategicMerge,
                                     ["spec": ["template": ["spec": ["containers": [["name": "app", "image": .string(image)]]]]]])
    }

    @Test func createsAHashNamedReplicaSetWithRevisionOne() async throws {
        try await WorkloadFixture.with { f in
            _ = try await f.client.create(.deployments, Workload.deployment("web", replicas: 5))
            try await f.waitUntil("rolled out, progressing condition complete") {
                Self.complete(f, "web")
                    && Self.condition(f.deployments.get(namespace: "default", name: "web"), Self.progressing)?.reason == "NewReplicaSetAvailable"
            }
            let d = try #require(f.deployments.get(namespace: "default", name: "web"))
            let sets = f.replicaSets(of: "web")
            try #require(sets.count == 1)
            let rs = sets[0]
            let hash = try #require(rs.objectLabels["pod-template-hash"])
            #expect(rs.objectName == "web-\(hash)")
            #expect(rs["spec", "selector", "matchLabels"] == ["app": "web", "pod-template-hash": .string(hash)])
            #expect(rs["spec", "template", "metadata", "labels", "pod-template-hash"]?.string == hash)
            #expect(rs.objectAnnotations[DeploymentAnnotations.revision] == "1")
            #expect(rs.objectAnnotations[DeploymentAnnotations.desiredReplicas] == "5")
            #expect(rs.objectAnnotations[DeploymentAnnotations.maxReplicas] == "7")  // 25% of 5 rounds up to 2
            #expect(rs.controllerRef?["uid"]?.string == d.objectUID && rs.controllerRef?["blockOwnerDeletion"] == true)
            #expect(d.objectAnnotations[DeploymentAnnotations.revision] == "1")
            #expect(f.activePods(["app": "web", "pod-template-hash": hash]).count == 5)
            #expect(Self.condition(d, "Available")! == ("True", "MinimumReplicasAvailable"))
            #expect(d.statusCount("readyReplicas") == 5 && d["status", "unavailableReplicas"] == nil)
        }
    }

    @Test func rollingUpdateStaysWithinMaxSurgeOneAndMaxUnavailableZero() async throws {
        try await WorkloadFixture.with { f in
            let strategy = Workload.rollingUpdate(surge: 1, unavailable: 0)
            _ = try await f.client.create(.deployments, Workload.deployment("web", replicas: 3, strategy: strategy, image: "busybox:1"))
            try await f.waitUntil("first rollout") { Self.complete(f, "web") }

            let violations = Mutex<[String]>([])
            let largest = Mutex(0)
            f.observe {
                let total = RolloutMath.specReplicas(f.replicaSets(of: "web"))
                largest.withLock { $0 = max($0, total) }
                if total > 4 { violations.withLock { $0.append("replica sets sum to \(total) > 3 + maxSurge 1") } }
                let ready = f.activePods(["app": "web"]).filter(PodState.isReady).count
                if ready < 3 { violations.withLock { $0.append("only \(ready) ready pods < 3 - maxUnavailable 0") } }
            }
            try await Self.setImage(f, "web", "busybox:2")
            try await f.waitUntil("second rollout") { Self.complete(f, "web", image: "busybox:2") }
            #expect(violations.withLock { $0 } == [])
            #expect(largest.withLock { $0 } == 4)
            let sets = f.replicaSets(of: "web")
            #expect(sets.count == 2)
            #expect(sets.map { $0.objectAnnotations[DeploymentAnnotations.revision] } == ["1", "2"])
            #expect(sets.map(\.specReplicas) == [0, 3])
            #expect(f.deployments.get(namespace: "default", name: "web")?.objectAnnotations[DeploymentAnnotations.revision] == "2")
        }
    }

    @Test func recreateRemovesEveryOldPodBeforeTheNewOnesStart() async throws {
        try await WorkloadFixture.with { f in
            _ = try await f.client.create(.deployments, Workload.deployment("db", replicas: 3, strategy: ["type": "Recreate"]))
            try await f.waitUntil("first rollout") { Self.complete(f, "db") }
            let mixed = Mutex<[String]>([])
            f.observe {
                let images = Set(f.pods.list(namespace: "default", selector: LabelSelector(equalTo: ["app": "db"]))
                    .compactMap { $0["spec", "containers"]?.array?.first?["image"]?.string })
                if images.count > 1 { mixed.withLock { $0.append("old and new pods together: \(images.sorted())") } }
            }
            try await Self.setImage(f, "db", "busybox:2")
            try await f.waitUntil("second rollout") { Self.complete(f, "db", image: "busybox:2") }
            #expect(mixed.withLock { $0 } == [])
            #expect(f.replicaSets(of: "db").map(\.specReplicas) == [0, 3])
        }
    }

    /// What `kubectl rollout undo` sends: the old ReplicaSet's template without its hash label (as
    /// a typed Go client writes it, with `creationTimestamp: null`), and the Deployment's
    /// annotations from that ReplicaSet, in one JSON patch.
    static func undo(_ f: WorkloadFixture, _ name: String, toRevision revision: String) async throws {
        let d = try await f.client.get(.deployments, namespace: "default", name: name)
        let sets = try await f.client.list(.replicaSets, namespace: "default", options: .init(labelSelector: d.specSelector)).items
        let rs = try #require(sets.first { $0.controllerRef?["uid"]?.string == d.objectUID
            && $0.objectAnnotations[DeploymentAnnotations.revision] == revision })
        var template = rs["spec", "template"] ?? [:]
        template["metadata", "labels", "pod-template-hash"] = nil
        template["metadata", "creationTimestamp"] = .null
        template["spec", "containers"] = .array((template["spec", "containers"]?.array ?? []).map { c in
            var c = c
            if c["resources"] == nil { c["resources"] = [:] }
            return c
        })
        var annotations: [String: String] = [:]
        for (k, v) in d.objectAnnotations where DeploymentAnnotations.notCopied.contains(k) { annotations[k] = v }
        for (k, v) in rs.objectAnnotations where !DeploymentAnnotations.notCopied.contains(k) { annotations[k] = v }
        _ = try await f.client.patch(.deployments, namespace: "default", name: name, type: .json, [
            ["op": "replace", "path": "/spec/template", "value": template],
            ["op": "replace", "path": "/metadata/annotations", "value": JSON(annotations)],
        ])
    }

    @Test func rollbackToAnOldTemplateReusesItsReplicaSetAsTheNextRevision() async throws {
        try await WorkloadFixture.with { f in
            _ = try await f.client.create(.deployments, Workload.deployment("web", replicas: 2, image: "busybox:1"))
            try await f.waitUntil("first rollout") { Self.complete(f, "web") }
            try await Self.setImage(f, "web", "busybox:2")
            try await f.waitUntil("second rollout") { Self.complete(f, "web", image: "busybox:2") }
            let first = f.replicaSets(of: "web")[0]

            try await Self.undo(f, "web", toRevision: "1")
            try await f.waitUntil("back on the first template, as revision 3") {
                Self.complete(f, "web", image: "busybox:1")
                    && f.deployments.get(namespace: "default", name: "web")?.objectAnnotations[DeploymentAnnotations.revision] == "3"
            }
            let sets = f.replicaSets(of: "web")  // by revision
            #expect(sets.count == 2)
            #expect(sets[0].objectAnnotations[DeploymentAnnotations.revision] == "2" && sets[0].specReplicas == 0)
            #expect(sets[1].objectUID == first.objectUID && sets[1].specReplicas == 2)
            #expect(sets[1].objectAnnotations[DeploymentAnnotations.revision] == "3")
            #expect(sets[1].objectAnnotations[DeploymentAnnotations.revisionHistory] == "1")
        }
    }

    @Test func pausedDeploymentScalesButDoesNotRollOutUntilResumed() async throws {
        try await WorkloadFixture.with { f in
            _ = try await f.client.create(.deployments, Workload.deployment("web", replicas: 2))
            try await f.waitUntil("first rollout") { Self.complete(f, "web") }
            _ = try await f.client.patch(.deployments, namespace: "default", name: "web", type: .merge, ["spec": ["paused": true]])
            try await Self.setImage(f, "web", "busybox:2")
            _ = try await f.client.patch(.deployments, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 4]])
            try await f.waitUntil("paused condition, scaled to 4 on the old template") {
                Self.condition(f.deployments.get(namespace: "default", name: "web"), Self.progressing)?.reason == "DeploymentPaused"
                    && f.replicaSets(of: "web").map(\.specReplicas) == [4]
                    && f.deployments.get(namespace: "default", name: "web")?.statusCount("availableReplicas") == 4
            }
            _ = try await f.client.patch(.deployments, namespace: "default", name: "web", type: .merge, ["spec": ["paused": false]])
            try await f.waitUntil("rolled out after resume") {
                Self.complete(f, "web", image: "busybox:2")
                    && Self.condition(f.deployments.get(namespace: "default", name: "web"), Self.progressing)?.reason == "NewReplicaSetAvailable"
            }
        }
    }

    @Test func noProgressPastTheDeadlineSetsProgressDeadlineExceeded() async throws {
        try await WorkloadFixture.with(autoReady: false) { f in
            _ = try await f.client.create(.deployments, Workload.deployment("stuck", replicas: 2, extra: ["progressDeadlineSeconds": 30]))
            try await f.waitUntil("pods created and counted, progressing") {
                let d = f.deployments.get(namespace: "default", name: "stuck")
                return d?.statusCount("replicas") == 2 && d?.statusCount("unavailableReplicas") == 2
                    && Self.condition(d, Self.progressing)?.status == "True"
            }
            #expect(Self.condition(f.deployments.get(namespace: "default", name: "stuck"), "Available")! == ("False", "MinimumReplicasUnavailable"))
            f.wallClock.advance(seconds: 60)
            // Any change brings the Deployment back; the deadline has passed on the controller's clock.
            _ = try await f.client.patch(.deployments, namespace: "default", name: "stuck", type: .merge, ["metadata": ["labels": ["touch": "1"]]])
            try await f.waitUntil("timed out") {
                Self.condition(f.deployments.get(namespace: "default", name: "stuck"), Self.progressing).map { $0 == ("False", "ProgressDeadlineExceeded") } ?? false
            }
        }
    }

    @Test func revisionHistoryLimitDeletesTheOldestReplicaSets() async throws {
        try await WorkloadFixture.with { f in
            _ = try await f.client.create(.deployments, Workload.deployment("web", replicas: 1, image: "busybox:1",
                                                                            extra: ["revisionHistoryLimit": 1]))
            try await f.waitUntil("rollout 1") { Self.complete(f, "web") }
            for image in ["busybox:2", "busybox:3"] {
                try await Self.setImage(f, "web", image)
                try await f.waitUntil("rollout of \(image)") { Self.complete(f, "web", image: image) }
            }
            try await f.waitUntil("one old revision kept") { f.replicaSets(of: "web").count == 2 }
            #expect(f.replicaSets(of: "web").map { $0.objectAnnotations[DeploymentAnnotations.revision] } == ["2", "3"])
        }
    }

    @Test func adoptsAMatchingOrphanReplicaSet() async throws {
        try await WorkloadFixture.with { f in
            // A ReplicaSet left behind by `kubectl delete deployment --cascade=orphan`.
            var rs = Workload.replicaSet("web-orphaned", replicas: 2, labels: ["app": "web"])
            rs["metadata", "labels"] = ["app": "web"]  // a Deployment claims ReplicaSets by their own labels
            _ = try await f.client.create(.replicaSets, rs)
            try await f.waitUntil("orphan runs") { f.activePods(["app": "web"]).count == 2 }
            let d = try await f.client.create(.deployments, Workload.deployment("web", replicas: 2))
            try await f.waitUntil("adopted and rolled out") { Self.complete(f, "web") }
            let adopted = try await f.client.get(.replicaSets, namespace: "default", name: "web-orphaned")
            #expect(adopted.controllerRef?["uid"]?.string == d.objectUID)
        }
    }
}
