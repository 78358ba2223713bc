import SkiffClient
import SkiffModel
import Synchronization
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct StatefulSetControllerTests {
    static let claimTemplate: JSON = ["metadata": ["name": "www", "labels": ["tier": "data"]],
                                      "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]

    @Test func orderedReadyCreatesOneOrdinalAtATimeWithIdentityAndClaims() async throws {
        try await SetFixture.with(autoReady: false) { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 3,
                                                                               spec: ["volumeClaimTemplates": [Self.claimTemplate]]))
            for ordinal in 0..<3 {
                try await f.waitUntil("web-\(ordinal) created and counted") {
                    f.podNames(["app": "web"]).contains("web-\(ordinal)") && f.statefulSet("web")?.statusCount("replicas") == ordinal + 1
                }
                // The next ordinal waits until this one is Running and Ready.
                let onServer = try await f.client.list(.pods, namespace: "default").items.map(\.objectName).sorted()
                #expect(onServer == (0...ordinal).map { "web-\($0)" })
                try await f.markReady(["web-\(ordinal)"])
            }
            try await f.waitUntil("3 ready") { f.statefulSet("web")?.statusCount("readyReplicas") == 3 }
            let set = try #require(f.statefulSet("web"))
            let revision = try #require(set["status", "updateRevision"]?.string)
            #expect(set["status", "currentRevision"]?.string == revision)
            #expect(set.statusCount("currentReplicas") == 3 && set.statusCount("updatedReplicas") == 3)
            #expect(set.statusCount("availableReplicas") == 3 && set.statusCount("observedGeneration") == 1)
            #expect(set["status", "collisionCount"] == 0)
            #expect(revision.hasPrefix("web-"))

            let pod = try await f.client.get(.pods, namespace: "default", name: "web-1")
            #expect(pod.objectLabels["statefulset.kubernetes.io/pod-name"] == "web-1")
            #expect(pod.objectLabels["apps.kubernetes.io/pod-index"] == "1")
            #expect(pod.objectLabels["controller-revision-hash"] == revision)
            #expect(pod["spec", "hostname"] == "web-1" && pod["spec", "subdomain"] == "web")
            #expect(pod["spec", "volumes"]?.array?.first == ["name": "www", "persistentVolumeClaim": ["claimName": "www-web-1"]])
            #expect(pod.controllerRef?["kind"] == "StatefulSet")

            let claim = try await f.client.get(.persistentVolumeClaims, namespace: "default", name: "www-web-1")
            #expect(claim.objectLabels == ["app": "web", "tier": "data"])
            #expect(claim["metadata", "ownerReferences"] == nil)

            let history = try await f.client.get(.controllerRevisions, namespace: "default", name: revision)
            #expect(history["revision"] == 1)
            #expect(history["data", "spec", "template", "$patch"] == "replace")
            #expect(history.controllerRef?["uid"]?.string == set.objectUID)

            try await f.waitUntil("the create events") {
                f.eventMessages.isSuperset(of: ["create Pod web-0 in StatefulSet web successful",
                                                "create Pod web-2 in StatefulSet web successful",
                                                "create Claim www-web-0 Pod web-0 in StatefulSet web success"])
            }
        }
    }

    @Test func scaleDownDeletesTheHighestOrdinalFirstAndKeepsClaims() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 3,
                                                                               spec: ["volumeClaimTemplates": [Self.claimTemplate]]))
            try await f.waitUntil("3 ready") { f.statefulSet("web")?.statusCount("readyReplicas") == 3 }
            _ = try await f.client.patch(.statefulSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 1]],
                                         subresource: "scale")
            try await f.waitUntil("1 replica") {
                f.podNames(["app": "web"]) == ["web-0"] && f.statefulSet("web")?.statusCount("replicas") == 1
            }
            #expect(f.deleted.withLock { $0 } == ["web-2", "web-1"])
            let claims = try await f.client.list(.persistentVolumeClaims, namespace: "default").items.map(\.objectName).sorted()
            #expect(claims == ["www-web-0", "www-web-1", "www-web-2"])
        }
    }

    @Test func parallelCreatesEveryOrdinalWithoutWaiting() async throws {
        try await SetFixture.with(autoReady: false) { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 3, spec: ["podManagementPolicy": "Parallel"]))
            try await f.waitUntil("3 pods, none ready") { f.podNames(["app": "web"]) == ["web-0", "web-1", "web-2"] }
            #expect(f.statefulSet("web")?.statusCount("readyReplicas") == 0)
        }
    }

    @Test func rollingUpdateRespectsThePartitionAndGoesFromTheHighestOrdinal() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 3,
                spec: ["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": 2]]]))
            try await f.waitUntil("3 ready") { f.statefulSet("web")?.statusCount("readyReplicas") == 3 }
            let first = try #require(f.statefulSet("web")?["status", "updateRevision"]?.string)
            _ = try await f.client.patch(.statefulSets, namespace: "default", name: "web", type: .merge,
                                         ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "busybox:2"]]]]]])
            try await f.waitUntil("web-2 updated") {
                guard let set = f.statefulSet("web"), set.statusCount("observedGeneration") == 2 else { return false }
                return set.statusCount("updatedReplicas") == 1 && set.statusCount("readyReplicas") == 3
            }
            let set = try #require(f.statefulSet("web"))
            let second = try #require(set["status", "updateRevision"]?.string)
            #expect(second != first && set["status", "currentRevision"]?.string == first)
            let revisions = try await f.client.list(.pods, namespace: "default").items.reduce(into: [String: String]()) {
                $0[$1.objectName] = $1.objectLabels["controller-revision-hash"]
            }
            #expect(revisions == ["web-0": first, "web-1": first, "web-2": second])

            f.deleted.withLock { $0 = [] }
            // One ordinal at a time: never two without a ready Pod.
            let worst = Mutex(0)
            f.observe {
                let ready = Set(f.pods.list(namespace: "default").filter { PodState.isReady($0) && !$0.isBeingDeleted }.map(\.objectName))
                worst.withLock { $0 = max($0, ["web-0", "web-1", "web-2"].filter { !ready.contains($0) }.count) }
            }
            _ = try await f.client.patch(.statefulSets, namespace: "default", name: "web", type: .merge,
                                         ["spec": ["updateStrategy": ["rollingUpdate": ["partition": 0]]]])
            try await f.waitUntil("all updated") {
                guard let set = f.statefulSet("web") else { return false }
                return set["status", "currentRevision"]?.string == second && set.statusCount("updatedReplicas") == 3
                    && set.statusCount("readyReplicas") == 3
            }
            #expect(f.deleted.withLock { $0 } == ["web-1", "web-0"])
            #expect(worst.withLock { $0 } == 1)
            let history = try await f.client.list(.controllerRevisions, namespace: "default").items
            #expect(history.map { $0["revision"]?.int ?? 0 }.sorted() == [1, 2])
        }
    }

    @Test func onDeleteReplacesOnlyPodsTheUserDeletes() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 2,
                                                                               spec: ["updateStrategy": ["type": "OnDelete"]]))
            try await f.waitUntil("2 ready") { f.statefulSet("web")?.statusCount("readyReplicas") == 2 }
            let first = try #require(f.statefulSet("web")?["status", "updateRevision"]?.string)
            _ = try await f.client.patch(.statefulSets, namespace: "default", name: "web", type: .merge,
                                         ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "busybox:2"]]]]]])
            try await f.waitUntil("new update revision") {
                guard let r = f.statefulSet("web")?["status", "updateRevision"]?.string else { return false }
                return r != first
            }
            #expect(f.deleted.withLock { $0 }.isEmpty)
            _ = try await f.client.delete(.pods, namespace: "default", name: "web-1")
            let second = try #require(f.statefulSet("web")?["status", "updateRevision"]?.string)
            try await f.waitUntil("web-1 back at the new revision") {
                f.pods.get(namespace: "default", name: "web-1")?.objectLabels["controller-revision-hash"] == second
            }
            #expect(f.pods.get(namespace: "default", name: "web-0")?.objectLabels["controller-revision-hash"] == first)
        }
    }

    @Test func whenScaledDeleteMakesTheCondemnedPodOwnTheClaim() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 2, spec: [
                "volumeClaimTemplates": [Self.claimTemplate],
                "persistentVolumeClaimRetentionPolicy": ["whenDeleted": "Delete", "whenScaled": "Delete"]]))
            try await f.waitUntil("2 ready") { f.statefulSet("web")?.statusCount("readyReplicas") == 2 }
            let set = try #require(f.statefulSet("web"))
            let claim = try await f.client.get(.persistentVolumeClaims, namespace: "default", name: "www-web-1")
            #expect(claim["metadata", "ownerReferences"]?.array?.map { $0["uid"]?.string } == [set.objectUID])
            let pod = try await f.client.get(.pods, namespace: "default", name: "web-1")
            _ = try await f.client.patch(.statefulSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 1]])
            try await f.waitUntil("web-1 gone, its claim owned by it") {
                !f.podNames(["app": "web"]).contains("web-1")
                    && f.claims.get(namespace: "default", name: "www-web-1")?["metadata", "ownerReferences"]?.array?.map { $0["uid"]?.string } == [pod.objectUID]
            }
        }
    }

    @Test func rollbackRenumbersTheOldRevisionAndHistoryIsTruncated() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 1, spec: ["revisionHistoryLimit": 1]))
            try await f.waitUntil("ready") { f.statefulSet("web")?.statusCount("readyReplicas") == 1 }
            let original = try #require(f.statefulSet("web")?["spec", "template"])
            for image in ["busybox:2", "busybox:3"] {
                let patched = try await f.client.patch(.statefulSets, namespace: "default", name: "web", type: .merge,
                                                       ["spec": ["template": ["spec": ["containers": [["name": "app", "image": .string(image)]]]]]])
                try await f.waitUntil("rolled to \(image)") {
                    guard let set = f.statefulSet("web"), set.statusCount("observedGeneration") == patched.objectGeneration else { return false }
                    guard let name = set["status", "updateRevision"]?.string, f.revisions.get(namespace: "default", name: name) != nil else {
                        return false
                    }
                    return set["status", "currentRevision"] == set["status", "updateRevision"] && set.statusCount("readyReplicas") == 1
                        && f.revisions.list(namespace: "default").count == 2
                }
            }
            // Revision 1 went beyond the limit of one old revision.
            #expect(f.revisions.list(namespace: "default").map { $0["revision"]?.int ?? 0 }.sorted() == [2, 3])
            let second = try #require(f.revisions.list(namespace: "default").first { $0["revision"] == 2 })
            _ = try await f.client.patch(.statefulSets, namespace: "default", name: "web", type: .strategicMerge, second["data"] ?? [:])
            try await f.waitUntil("revision 2 renumbered 4 and in use") {
                guard let set = f.statefulSet("web") else { return false }
                return set["status", "updateRevision"]?.string == second.objectName
                    && f.revisions.get(namespace: "default", name: second.objectName)?["revision"] == 4
            }
            #expect(f.statefulSet("web")?["spec", "template"] != original)
        }
    }

    @Test func parallelScaleDownDeletesEveryCondemnedOrdinalAtOnce() async throws {
        try await SetFixture.with(autoReady: false) { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 3, spec: ["podManagementPolicy": "Parallel"]))
            try await f.waitUntil("3 pods") { f.podNames(["app": "web"]).count == 3 }
            _ = try await f.client.patch(.statefulSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 0]])
            // None is ready, yet Parallel does not wait for them.
            try await f.waitUntil("no pods, status 0") { f.podNames(["app": "web"]).isEmpty && f.statefulSet("web")?.statusCount("replicas") == 0 }
        }
    }

    @Test func aFailedPodIsDeletedAndCreatedAgain() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.statefulSets, SetObjects.statefulSet("web", replicas: 2))
            try await f.waitUntil("2 ready") { f.statefulSet("web")?.statusCount("readyReplicas") == 2 }
            var pod = try await f.client.get(.pods, namespace: "default", name: "web-0")
            pod["status", "phase"] = "Failed"
            pod["status", "conditions"] = [["type": "Ready", "status": "False"]]
            _ = try await f.client.updateStatus(.pods, pod)
            let failed = pod
            try await f.waitUntil("web-0 replaced and ready") {
                guard let fresh = f.pods.get(namespace: "default", name: "web-0") else { return false }
                return fresh.objectUID != failed.objectUID && PodState.isReady(fresh)
            }
            try await f.waitUntil("the delete event") { f.eventMessages.contains("delete Pod web-0 in StatefulSet web successful") }
        }
    }

    @Test func revisionNumbersStayAboveWhatAStaleCacheShows() {
        let numbers = RevisionNumbers()
        let one: JSON = ["revision": 1]
        #expect(numbers.next(for: "uid", after: [one]) == 2)
        numbers.record(2, for: "uid")
        #expect(numbers.next(for: "uid", after: [one]) == 3)  // the cache has not seen revision 2 yet
        #expect(numbers.next(for: "uid", after: [one, ["revision": 5]]) == 6)
        #expect(numbers.next(for: "other", after: []) == 1)
    }

    @Test(arguments: [("web-0", 0), ("web-12", 12), ("web-x", nil), ("web-01", nil), ("other-1", nil), ("web--1", nil)] as [(String, Int?)])
    func ordinalsComeFromThePodName(name: String, ordinal: Int?) {
        let set: JSON = ["metadata": ["name": "web"]]
        #expect(StatefulSetPods.ordinal(of: ["metadata": ["name": .string(name)]], in: set) == ordinal)
    }
}
