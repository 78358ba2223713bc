import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

/// The Job controller's pod failure policy and its adoption of orphaned Pods.
@Suite(.timeLimit(.minutes(1))) struct JobPolicyTests {
    static func policy(_ rules: JSON) -> JSON { ["podFailurePolicy": ["rules": rules]] }

    @Test func aFailJobRuleFailsTheJobAtOnceAndDeletesItsOtherPods() async throws {
        try await JobFixture.with { f in
            let rules: JSON = [["action": "FailJob", "onExitCodes": ["containerName": "work", "operator": "In", "values": [42]]]]
            _ = try await f.client.create(.jobs, JobFixture.manifest("fj", completions: 2, parallelism: 2, extra: Self.policy(rules)))
            try await f.waitUntil("2 running") { f.activePods(of: "fj").count == 2 }
            let victim = try #require(f.activePods(of: "fj").first)
            try await f.finish(victim, code: 42)
            try await f.waitUntil("Failed, other pod deleted") {
                JobControllerTests.condition(f.job("fj"), "Failed") != nil && f.activePods(of: "fj").isEmpty
            }
            let failed = try #require(JobControllerTests.condition(f.job("fj"), "Failed"))
            #expect(failed["reason"] == "PodFailurePolicy")
            #expect(failed["message"]?.string
                    == "Container work for pod default/\(victim.objectName) failed with exit code 42 matching FailJob rule at index 0")
            #expect(JobControllerTests.condition(f.job("fj"), "FailureTarget")?["reason"] == "PodFailurePolicy")
            #expect(f.job("fj")?.statusCount("failed") == 1)
        }
    }

    @Test func anIgnoredFailureIsNotCountedAndThePodIsReplaced() async throws {
        try await JobFixture.with { f in
            let rules: JSON = [["action": "Ignore", "onExitCodes": ["operator": "In", "values": [1]]],
                               ["action": "FailJob", "onExitCodes": ["operator": "NotIn", "values": [1]]]]
            _ = try await f.client.create(.jobs, JobFixture.manifest("ig", backoffLimit: 0, extra: Self.policy(rules)))
            try await f.waitUntil("running") { f.activePods(of: "ig").count == 1 }
            let first = try #require(f.activePods(of: "ig").first)
            try await f.finish(first, code: 1)
            try await f.waitUntil("finalizer released") {
                f.pods.get(namespace: "default", name: first.objectName)?["metadata", "finalizers"]?.array?.isEmpty ?? true
            }
            // Replaced after the usual back-off, without a failure counted against backoffLimit 0.
            f.wallClock.advance(seconds: 11)
            _ = try await f.client.patch(.jobs, namespace: "default", name: "ig", type: .merge, ["metadata": ["labels": ["nudge": "1"]]])
            try await f.waitUntil("replacement running") { f.activePods(of: "ig").count == 1 }
            let job = try #require(f.job("ig"))
            #expect(job.statusCount("failed") == 0)
            #expect(JobControllerTests.condition(job, "Failed") == nil)
            try await f.finish(try #require(f.activePods(of: "ig").first))
            try await f.waitUntil("Complete") { JobControllerTests.condition(f.job("ig"), "Complete") != nil }
        }
    }

    @Test func rulesMatchInOrderOnExitCodesAndConditions() {
        let pod: JSON = ["metadata": ["name": "p", "namespace": "ns"],
                         "status": ["phase": "Failed",
                                    "conditions": [["type": "DisruptionTarget", "status": "True"]],
                                    "initContainerStatuses": [["name": "init", "state": ["terminated": ["exitCode": 0]]]],
                                    "containerStatuses": [["name": "a", "state": ["terminated": ["exitCode": 0]]],
                                                          ["name": "b", "state": ["terminated": ["exitCode": 3]]]]]]
        func action(_ rules: JSON) -> PodFailurePolicy.Action { PodFailurePolicy.action(for: pod, policy: ["rules": rules]) }
        #expect(PodFailurePolicy.action(for: pod, policy: nil) == .count)
        #expect(action([["action": "Ignore", "onExitCodes": ["operator": "In", "values": [1, 2]]]]) == .count)
        #expect(action([["action": "Ignore", "onExitCodes": ["operator": "In", "values": [3]]]]) == .ignore)
        // Exit code 0 never matches, even for NotIn.
        #expect(action([["action": "Ignore", "onExitCodes": ["containerName": "a", "operator": "NotIn", "values": [5]]]]) == .count)
        #expect(action([["action": "FailJob", "onExitCodes": ["operator": "NotIn", "values": [5]]]])
                == .failJob("Container b for pod ns/p failed with exit code 3 matching FailJob rule at index 0"))
        #expect(action([["action": "Unknown", "onPodConditions": [["type": "DisruptionTarget", "status": "True"]]],
                        ["action": "FailJob", "onPodConditions": [["type": "DisruptionTarget", "status": "True"]]]])
                == .failJob("Pod ns/p has condition DisruptionTarget matching FailJob rule at index 1"))
        #expect(action([["action": "Ignore", "onPodConditions": [["type": "DisruptionTarget", "status": "False"]]]]) == .count)
    }

    @Test func adoptsAnOrphanItsSelectorMatchesInsteadOfCreatingAPod() async throws {
        try await JobFixture.with { f in
            let orphan: JSON = ["apiVersion": "v1", "kind": "Pod",
                                "metadata": ["name": "orphan", "namespace": "default", "labels": ["app": "batch"]],
                                "spec": ["restartPolicy": "Never", "containers": [["name": "work", "image": "busybox:1"]]]]
            _ = try await f.client.create(.pods, orphan)
            try await f.waitUntil("orphan cached") { f.pods.get(namespace: "default", name: "orphan") != nil }
            var manifest = JobFixture.manifest("adopt", extra: ["manualSelector": true, "selector": ["matchLabels": ["app": "batch"]]])
            manifest["spec", "template", "metadata"] = ["labels": ["app": "batch"]]
            let job = try await f.client.create(.jobs, manifest)
            try await f.waitUntil("adopted") { f.pods.get(namespace: "default", name: "orphan")?.controllerRef?["uid"]?.string == job.objectUID }
            let adopted = try #require(f.pods.get(namespace: "default", name: "orphan"))
            #expect(adopted["metadata", "finalizers"] == ["batch.kubernetes.io/job-tracking"])
            try await f.finish(adopted)
            try await f.waitUntil("Complete") { JobControllerTests.condition(f.job("adopt"), "Complete") != nil }
            #expect(f.pods.list(namespace: "default").map(\.objectName) == ["orphan"])
            #expect(f.job("adopt")?.statusCount("succeeded") == 1)
        }
    }
}
