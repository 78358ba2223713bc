import SkiffClient
import SkiffModel
import Synchronization
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct DaemonSetControllerTests {
    static func podsByNode(_ f: SetFixture, _ name: String) -> [String: [JSON]] {
        DaemonSetController.podsByNode(f.pods.list(namespace: "default", selector: LabelSelector(equalTo: ["app": name]))
            .filter { !$0.isBeingDeleted })
    }

    @Test func runsOnePodOnEachEligibleNode() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.nodes, SetObjects.node("n1", labels: ["disk": "ssd"]))
            _ = try await f.client.create(.nodes, SetObjects.node("n2", labels: ["disk": "ssd"], taints: [
                ["key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"]]))
            _ = try await f.client.create(.nodes, SetObjects.node("n3", labels: ["disk": "ssd"], taints: [
                ["key": "dedicated", "value": "db", "effect": "NoSchedule"]]))
            _ = try await f.client.create(.nodes, SetObjects.node("n4", labels: ["disk": "hdd"]))
            let ds = try await f.client.create(.daemonSets, SetObjects.daemonSet("agent", podSpec: ["nodeSelector": ["disk": "ssd"]]))
            #expect(ds.objectAnnotations["deprecated.daemonset.template.generation"] == "1")
            try await f.waitUntil("2 pods ready in the status") {
                guard let ds = f.daemonSet("agent") else { return false }
                return ds.statusCount("numberReady") == 2 && ds.statusCount("numberAvailable") == 2
            }
            let byNode = Self.podsByNode(f, "agent")
            #expect(Set(byNode.keys) == ["n1", "n2"])
            let status = try #require(f.daemonSet("agent")?["status"])
            #expect(status["desiredNumberScheduled"] == 2 && status["currentNumberScheduled"] == 2 && status["updatedNumberScheduled"] == 2)
            #expect(status["numberMisscheduled"] == 0 && status["observedGeneration"] == 1 && status["numberUnavailable"] == nil)

            let pod = try #require(byNode["n1"]?.first)
            #expect(pod["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"] ==
                    ["nodeSelectorTerms": [["matchFields": [["key": "metadata.name", "operator": "In", "values": ["n1"]]]]]])
            let tolerated = Set((pod["spec", "tolerations"]?.array ?? []).compactMap { t in t["key"]?.string.map { "\($0):\(t["effect"]?.string ?? "")" } })
            #expect(tolerated == ["node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute",
                                  "node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule",
                                  "node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"])
            #expect(pod.objectLabels["pod-template-generation"] == "1")
            let hash = try #require(pod.objectLabels["controller-revision-hash"])
            let revision = try await f.client.get(.controllerRevisions, namespace: "default", name: "agent-\(hash)")
            #expect(revision["revision"] == 1 && revision.objectLabels["controller-revision-hash"] == hash)
            #expect(pod.objectName.hasPrefix("agent-"))
            let names = Set(byNode.values.flatMap { $0.map(\.objectName) })
            try await f.waitUntil("the create events") { f.eventMessages.isSuperset(of: Set(names.map { "Created pod: \($0)" })) }
        }
    }

    @Test func followsNodesAddedRelabelledAndRemoved() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.nodes, SetObjects.node("n1", labels: ["role": "edge"]))
            _ = try await f.client.create(.daemonSets, SetObjects.daemonSet("agent", podSpec: ["nodeSelector": ["role": "edge"]]))
            try await f.waitUntil("a pod on n1") { Set(Self.podsByNode(f, "agent").keys) == ["n1"] }
            _ = try await f.client.create(.nodes, SetObjects.node("n2", labels: ["role": "edge"]))
            try await f.waitUntil("a pod on n2 too") {
                Set(Self.podsByNode(f, "agent").keys) == ["n1", "n2"] && f.daemonSet("agent")?.statusCount("desiredNumberScheduled") == 2
            }
            _ = try await f.client.patch(.nodes, name: "n1", type: .merge, ["metadata": ["labels": ["role": "core"]]])
            try await f.waitUntil("n1's pod removed") { Set(Self.podsByNode(f, "agent").keys) == ["n2"] }
            _ = try await f.client.delete(.nodes, name: "n2")
            try await f.waitUntil("no pods, nothing desired") {
                Self.podsByNode(f, "agent").isEmpty && f.daemonSet("agent")?.statusCount("desiredNumberScheduled") == 0
            }
        }
    }

    @Test(arguments: [
        ("maxUnavailable", ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]] as JSON),
        ("maxSurge", ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 0, "maxSurge": 1]] as JSON),
    ])
    func rollingUpdateReplacesEveryPod(label: String, strategy: JSON) async throws {
        try await SetFixture.with { f in
            for name in ["n1", "n2", "n3"] { _ = try await f.client.create(.nodes, SetObjects.node(name)) }
            _ = try await f.client.create(.daemonSets, SetObjects.daemonSet("agent", spec: ["updateStrategy": strategy]))
            try await f.waitUntil("3 ready") { f.daemonSet("agent")?.statusCount("numberReady") == 3 }
            let oldHash = try #require(Self.podsByNode(f, "agent")["n1"]?.first?.objectLabels["controller-revision-hash"])
            // Never more nodes without a ready Pod than maxUnavailable allows (none when surging).
            let allowed = label == "maxSurge" ? 0 : 1
            let worst = Mutex(0)
            f.observe {
                let byNode = Self.podsByNode(f, "agent")
                let unavailable = ["n1", "n2", "n3"].filter { node in !(byNode[node] ?? []).contains(where: PodState.isReady) }.count
                worst.withLock { $0 = max($0, unavailable) }
            }
            let updated = try await f.client.patch(.daemonSets, namespace: "default", name: "agent", type: .merge,
                                                   ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "busybox:2"]]]]]])
            #expect(updated.objectAnnotations["deprecated.daemonset.template.generation"] == "2")
            try await f.waitUntil("3 updated and available") {
                guard let ds = f.daemonSet("agent"), ds.statusCount("observedGeneration") == 2 else { return false }
                let pods = f.pods.list(namespace: "default").filter { PodState.isActive($0) }
                return ds.statusCount("updatedNumberScheduled") == 3 && ds.statusCount("numberAvailable") == 3 && pods.count == 3
                    && pods.allSatisfy { $0["spec", "containers"]?.array?.first?["image"] == "busybox:2" }
            }
            let pods = f.pods.list(namespace: "default").filter { PodState.isActive($0) }
            #expect(pods.allSatisfy { $0.objectLabels["pod-template-generation"] == "2" && $0.objectLabels["controller-revision-hash"] != oldHash })
            let numbers = f.revisions.list(namespace: "default").map { $0["revision"]?.int ?? 0 }.sorted()
            #expect(numbers == [1, 2])
            #expect(worst.withLock { $0 } <= allowed)
        }
    }

    @Test func onDeleteLeavesOldPodsUntilDeleted() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.nodes, SetObjects.node("n1"))
            _ = try await f.client.create(.daemonSets, SetObjects.daemonSet("agent", spec: ["updateStrategy": ["type": "OnDelete"]]))
            try await f.waitUntil("1 ready") { f.daemonSet("agent")?.statusCount("numberReady") == 1 }
            let old = try #require(Self.podsByNode(f, "agent")["n1"]?.first)
            _ = try await f.client.patch(.daemonSets, namespace: "default", name: "agent", type: .merge,
                                         ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "busybox:2"]]]]]])
            try await f.waitUntil("observed, nothing updated") {
                guard let ds = f.daemonSet("agent") else { return false }
                return ds.statusCount("observedGeneration") == 2 && ds.statusCount("updatedNumberScheduled") == 0
            }
            #expect(f.pods.get(namespace: "default", name: old.objectName).map(PodState.isActive) == true)
            _ = try await f.client.delete(.pods, namespace: "default", name: old.objectName)
            try await f.waitUntil("replaced by a new pod") { f.daemonSet("agent")?.statusCount("updatedNumberScheduled") == 1 }
        }
    }

    @Test func aFailedDaemonPodIsReplaced() async throws {
        try await SetFixture.with { f in
            _ = try await f.client.create(.nodes, SetObjects.node("n1"))
            _ = try await f.client.create(.daemonSets, SetObjects.daemonSet("agent"))
            try await f.waitUntil("1 ready") { f.daemonSet("agent")?.statusCount("numberReady") == 1 }
            var pod = try #require(Self.podsByNode(f, "agent")["n1"]?.first)
            pod["status", "phase"] = "Failed"
            pod["status", "conditions"] = [["type": "Ready", "status": "False"]]
            _ = try await f.client.updateStatus(.pods, pod)
            let failed = pod
            try await f.waitUntil("a new ready pod on n1") {
                guard let pods = Self.podsByNode(f, "agent")["n1"], pods.count == 1 else { return false }
                return pods[0].objectUID != failed.objectUID && PodState.isReady(pods[0])
            }
            try await f.waitUntil("the FailedDaemonPod event") {
                f.eventMessages.contains("Found failed daemon pod default/\(failed.objectName) on node n1, will try to kill it")
            }
        }
    }

    @Test(arguments: [
        // (taint, tolerations, shouldRun, continueRunning)
        (["key": "a", "effect": "NoSchedule"] as JSON, [] as [JSON], false, true),
        (["key": "a", "effect": "NoExecute"] as JSON, [] as [JSON], false, false),
        (["key": "a", "effect": "PreferNoSchedule"] as JSON, [] as [JSON], true, true),
        (["key": "a", "value": "b", "effect": "NoSchedule"] as JSON, [["key": "a", "operator": "Equal", "value": "b"]] as [JSON], true, true),
        (["key": "a", "value": "b", "effect": "NoSchedule"] as JSON, [["key": "a", "value": "c"]] as [JSON], false, true),
        (["key": "a", "effect": "NoExecute"] as JSON, [["operator": "Exists"]] as [JSON], true, true),
        (["key": "node.kubernetes.io/not-ready", "effect": "NoExecute"] as JSON, [] as [JSON], true, true),
        (["key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"] as JSON, [] as [JSON], true, true),
    ])
    func taintsAgainstTolerations(taint: JSON, tolerations: [JSON], run: Bool, continueRunning: Bool) {
        let ds = SetObjects.daemonSet("agent", podSpec: ["tolerations": .array(tolerations)])
        let result = DaemonSetNodes.shouldRun(ds, on: SetObjects.node("n1", taints: [taint]))
        #expect(result.run == run && result.continueRunning == continueRunning)
    }

    @Test func requiredNodeAffinitySelectsNodes() {
        let affinity: JSON = ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [
            ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a", "b"]]]],
            ["matchFields": [["key": "metadata.name", "operator": "In", "values": ["special"]]]],
        ]]]]
        let ds = SetObjects.daemonSet("agent", podSpec: ["affinity": affinity])
        #expect(DaemonSetNodes.shouldRun(ds, on: SetObjects.node("n1", labels: ["zone": "a"])).run)
        #expect(!DaemonSetNodes.shouldRun(ds, on: SetObjects.node("n2", labels: ["zone": "c"])).run)
        #expect(DaemonSetNodes.shouldRun(ds, on: SetObjects.node("special")).run)
    }

    @Test func limitsResolvePercentagesRoundingUp() {
        let ds: JSON = ["spec": ["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "10%", "maxSurge": 0]]]]
        let limits = DaemonSetRollout.limits(ds, desired: 15)
        #expect(limits.surge == 0 && limits.unavailable == 2)
        let zero: JSON = ["spec": ["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "0%", "maxSurge": "0%"]]]]
        let fallback = DaemonSetRollout.limits(zero, desired: 5)
        #expect(fallback.surge == 0 && fallback.unavailable == 1)
    }
}
