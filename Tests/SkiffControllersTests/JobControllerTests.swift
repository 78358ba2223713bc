import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct JobControllerTests {
    static func condition(_ job: JSON?, _ type: String) -> JSON? {
        job?["status", "conditions"]?.array?.first { $0["type"]?.string == type && $0["status"]?.string == "True" }
    }

    @Test func runsCompletionsAtMostParallelismAtOnce() async throws {
        try await JobFixture.with { f in
            let job = try await f.client.create(.jobs, JobFixture.manifest("p", completions: 5, parallelism: 2))
            for round in 0..<5 {
                try await f.waitUntil("a pod to finish in round \(round)") {
                    f.activePods(of: "p").count == min(2, 5 - round) && f.job("p")?.statusCount("succeeded") == round
                }
                let pod = try #require(f.activePods(of: "p").first)
                #expect(pod.objectName.hasPrefix("p-") && pod.objectName.count == "p-".count + 5)
                #expect(pod["metadata", "finalizers"] == ["batch.kubernetes.io/job-tracking"])
                #expect(pod.objectLabels["batch.kubernetes.io/controller-uid"] == job.objectUID)
                #expect(pod.controllerRef == ["apiVersion": "batch/v1", "kind": "Job", "name": "p", "uid": .string(job.objectUID),
                                              "controller": true, "blockOwnerDeletion": true])
                try await f.finish(pod)
            }
            try await f.waitUntil("Complete") { Self.condition(f.job("p"), "Complete") != nil }
            let done = try #require(f.job("p"))
            #expect(done.statusCount("succeeded") == 5 && done.statusCount("active") == 0 && done.statusCount("failed") == 0)
            #expect(Self.condition(done, "SuccessCriteriaMet")?["reason"] == "CompletionsReached")
            #expect(done["status", "completionTime"]?.string != nil && done["status", "startTime"]?.string != nil)
            #expect(f.maxActive.load(ordering: .relaxed) <= 2)
            try await f.waitUntil("finalizers removed") {
                f.pods.list(namespace: "default").allSatisfy { ($0["metadata", "finalizers"]?.array ?? []).isEmpty }
            }
        }
    }

    @Test func failsPastTheBackoffLimit() async throws {
        try await JobFixture.with { f in
            _ = try await f.client.create(.jobs, JobFixture.manifest("f", backoffLimit: 1))
            for attempt in 0..<2 {
                if attempt > 0 {
                    // The failed Pod is replaced only after the 10 s back-off.
                    try await f.waitUntil("failure counted") { f.job("f")?.statusCount("failed") == attempt }
                    #expect(f.activePods(of: "f").isEmpty)
                    f.wallClock.advance(seconds: 11)
                    _ = try await f.client.patch(.jobs, namespace: "default", name: "f", type: .merge,
                                                 ["metadata": ["labels": ["attempt": .string("\(attempt)")]]])
                }
                try await f.waitUntil("attempt \(attempt) running") {
                    f.activePods(of: "f").count == 1 && f.job("f")?.statusCount("failed") == attempt
                }
                try await f.finish(try #require(f.activePods(of: "f").first), code: 1)
            }
            try await f.waitUntil("Failed") { Self.condition(f.job("f"), "Failed") != nil }
            let job = try #require(f.job("f"))
            #expect(Self.condition(job, "Failed")?["reason"] == "BackoffLimitExceeded")
            #expect(Self.condition(job, "FailureTarget")?["reason"] == "BackoffLimitExceeded")
            #expect(job.statusCount("failed") == 2 && job.statusCount("active") == 0)
            #expect(f.pods.list(namespace: "default").count == 2)
        }
    }

    @Test func podFailureBackoffDoublesFromTheLastFailureAndResetsOnSuccess() {
        func pod(_ phase: String, finishedAt: Double) -> JSON {
            ["metadata": ["creationTimestamp": .string(Timestamp.format(finishedAt - 5))],
             "status": ["phase": .string(phase),
                        "containerStatuses": [["state": ["terminated": ["finishedAt": .string(Timestamp.format(finishedAt))]]]]]]
        }
        let t = 1_800_000_000.0
        #expect(JobController.podFailureBackoff([], now: t) == 0)
        #expect(JobController.podFailureBackoff([pod("Failed", finishedAt: t)], now: t + 4) == 6)
        #expect(JobController.podFailureBackoff([pod("Failed", finishedAt: t), pod("Failed", finishedAt: t + 10)], now: t + 10) == 20)
        let many = (0..<10).map { pod("Failed", finishedAt: t + Double($0)) }
        #expect(JobController.podFailureBackoff(many, now: t + 9) == 360)
        // Failures before the last success do not count.
        #expect(JobController.podFailureBackoff([pod("Failed", finishedAt: t), pod("Succeeded", finishedAt: t + 1),
                                                 pod("Failed", finishedAt: t + 2)], now: t + 2) == 10)
        #expect(JobController.podFailureBackoff([pod("Failed", finishedAt: t)], now: t + 60) == 0)
    }

    @Test func failsPastTheActiveDeadlineAndDeletesItsPods() async throws {
        try await JobFixture.with { f in
            _ = try await f.client.create(.jobs, JobFixture.manifest("d", completions: 3, parallelism: 3,
                                                                     extra: ["activeDeadlineSeconds": 30]))
            try await f.waitUntil("3 running") { f.activePods(of: "d").count == 3 }
            f.wallClock.advance(seconds: 31)
            // Any change makes the controller look again.
            _ = try await f.client.patch(.jobs, namespace: "default", name: "d", type: .merge, ["metadata": ["labels": ["x": "y"]]])
            try await f.waitUntil("Failed, pods gone") {
                Self.condition(f.job("d"), "Failed")?["reason"] == "DeadlineExceeded" && f.activePods(of: "d").isEmpty
            }
        }
    }

    @Test func indexedJobRecordsCompletedIndexes() async throws {
        try await JobFixture.with { f in
            _ = try await f.client.create(.jobs, JobFixture.manifest("ix", completions: 3, parallelism: 2,
                                                                     extra: ["completionMode": "Indexed"]))
            try await f.waitUntil("indexes 0 and 1 running") {
                Set(f.activePods(of: "ix").compactMap(JobIndexes.index)) == [0, 1]
            }
            let pod1 = try #require(f.activePods(of: "ix").first { JobIndexes.index($0) == 1 })
            #expect(pod1["spec", "hostname"] == "ix-1")
            #expect(pod1.objectName.hasPrefix("ix-1-"))
            #expect(pod1.objectLabels["batch.kubernetes.io/job-completion-index"] == "1")
            try await f.finish(pod1)
            try await f.waitUntil("index 2 started, 1 completed") {
                Set(f.activePods(of: "ix").compactMap(JobIndexes.index)) == [0, 2] && f.job("ix")?["status", "completedIndexes"] == "1"
            }
            for pod in f.activePods(of: "ix") { try await f.finish(pod) }
            try await f.waitUntil("Complete") { Self.condition(f.job("ix"), "Complete") != nil }
            #expect(f.job("ix")?["status", "completedIndexes"] == "0-2")
        }
    }

    @Test func suspendedJobCreatesNoPods() async throws {
        try await JobFixture.with { f in
            _ = try await f.client.create(.jobs, JobFixture.manifest("s", extra: ["suspend": true]))
            _ = try await f.client.create(.jobs, JobFixture.manifest("marker"))
            try await f.waitUntil("the marker Job's pod") { f.activePods(of: "marker").count == 1 }
            #expect(f.activePods(of: "s").isEmpty)
            _ = try await f.client.patch(.jobs, namespace: "default", name: "s", type: .merge, ["spec": ["suspend": false]])
            try await f.waitUntil("resumed") { f.activePods(of: "s").count == 1 }
        }
    }

    @Test(arguments: [("", [Int]()), ("1", [1]), ("0-2", [0, 1, 2]), ("1,3-5,7", [1, 3, 4, 5, 7])])
    func completedIndexesRoundTrip(text: String, indexes: [Int]) {
        #expect(JobIndexes.parse(text) == Set(indexes))
        #expect(JobIndexes.format(Set(indexes)) == text)
    }
}
