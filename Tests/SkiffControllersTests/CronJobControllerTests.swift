import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

/// The CronJob and TTL-after-finished controllers, reconciled explicitly with a wall clock the
/// tests move ahead.
@Suite(.timeLimit(.minutes(1))) struct CronJobControllerTests {
    func childJobs(_ f: JobFixture, _ cron: String) -> [JSON] {
        f.jobs.list(namespace: "default").filter { $0.controllerRef?["name"]?.string == cron && !$0.isBeingDeleted }
            .sorted { $0.objectName < $1.objectName }
    }

    /// Moves the CronJob controller's clock one second past the next minute (and past every
    /// CronJob's creation), reconciles, and waits until the cache shows `jobs` Jobs.
    func tick(_ f: JobFixture, _ cron: String, expect jobs: Int) async throws {
        let now = f.cronClock.now()
        let created = f.cronJobs.list(namespace: "default").map(\.creationSeconds).max() ?? now
        f.cronClock.advance(seconds: ((max(now, created) / 60).rounded(.down) + 1) * 60 + 1 - now)
        try await f.cronController.reconcile("default/\(cron)")
        try await f.waitUntil("\(jobs) jobs of \(cron)") { self.childJobs(f, cron).count == jobs }
    }

    @Test func createsAJobEachScheduledMinuteAndTracksIt() async throws {
        try await JobFixture.with { f in
            let cron = try await f.client.create(.cronJobs, JobFixture.cronJob("c"))
            try await f.waitUntil("cronjob cached") { f.cronJobs.get(namespace: "default", name: "c") != nil }
            try await f.cronController.reconcile("default/c")
            #expect(childJobs(f, "c").isEmpty)
            try await tick(f, "c", expect: 1)
            let job = try #require(childJobs(f, "c").first)
            #expect(job.objectAnnotations[CronJobController.scheduledTimestamp] != nil)
            #expect(job.objectLabels["run"] == "c")
            #expect(job.controllerRef == ["apiVersion": "batch/v1", "kind": "CronJob", "name": "c", "uid": .string(cron.objectUID),
                                          "controller": true, "blockOwnerDeletion": true])
            try await f.waitUntil("active in status") {
                f.cronJobs.get(namespace: "default", name: "c")?["status", "active"]?.array?.first?["name"]?.string == job.objectName
            }
            let last = try #require(f.cronJobs.get(namespace: "default", name: "c")?["status", "lastScheduleTime"]?.string.flatMap(Timestamp.parse))
            #expect(job.objectName == "c-\(Int64(last / 60))")
            #expect(Int64(last) % 60 == 0)
            try await f.finishJob(job.objectName)
            try await f.waitUntil("job finished in cache") { CronJobController.finishedCondition(f.job(job.objectName) ?? [:]) == "Complete" }
            try await f.cronController.reconcile("default/c")
            try await f.waitUntil("no longer active, lastSuccessfulTime set") {
                let c = f.cronJobs.get(namespace: "default", name: "c")
                return c?["status", "active"] == nil && c?["status", "lastSuccessfulTime"]?.string != nil
            }
        }
    }

    @Test func forbidSkipsAndReplaceDeletesTheRunningJob() async throws {
        try await JobFixture.with { f in
            _ = try await f.client.create(.cronJobs, JobFixture.cronJob("fb", extra: ["concurrencyPolicy": "Forbid"]))
            _ = try await f.client.create(.cronJobs, JobFixture.cronJob("rp", extra: ["concurrencyPolicy": "Replace"]))
            try await f.waitUntil("cronjobs cached") { f.cronJobs.list(namespace: "default").count == 2 }
            try await tick(f, "fb", expect: 1)
            try await f.cronController.reconcile("default/rp")
            try await f.waitUntil("rp job") { self.childJobs(f, "rp").count == 1 }
            try await f.waitUntil("both active in status") {
                f.cronJobs.list(namespace: "default").allSatisfy { $0["status", "active"]?.array?.count == 1 }
            }
            let firstReplace = childJobs(f, "rp")[0].objectName
            try await tick(f, "fb", expect: 1)
            try await f.cronController.reconcile("default/rp")
            try await f.waitUntil("rp replaced") {
                let jobs = self.childJobs(f, "rp")
                return jobs.count == 1 && jobs[0].objectName != firstReplace
            }
        }
    }

    @Test func deletesFinishedJobsBeyondTheHistoryLimit() async throws {
        try await JobFixture.with { f in
            _ = try await f.client.create(.cronJobs, JobFixture.cronJob("h", extra: ["successfulJobsHistoryLimit": 1]))
            try await f.waitUntil("cronjob cached") { f.cronJobs.get(namespace: "default", name: "h") != nil }
            try await tick(f, "h", expect: 1)
            let first = childJobs(f, "h")[0].objectName
            try await f.finishJob(first)
            try await f.waitUntil("first finished") { CronJobController.finishedCondition(f.job(first) ?? [:]) != nil }
            try await tick(f, "h", expect: 2)
            let second = childJobs(f, "h")[1].objectName
            try await f.finishJob(second)
            try await f.waitUntil("second finished") { CronJobController.finishedCondition(f.job(second) ?? [:]) != nil }
            try await f.cronController.reconcile("default/h")
            try await f.waitUntil("only the newest kept") { self.childJobs(f, "h").map(\.objectName) == [second] }
        }
    }

    @Test func ttlDeletesAFinishedJobOnceExpired() async throws {
        try await JobFixture.with { f in
            _ = try await f.client.create(.jobs, JobFixture.manifest("t", extra: ["suspend": true, "ttlSecondsAfterFinished": 100]))
            try await f.finishJob("t")
            try await f.waitUntil("finished in cache") { CronJobController.finishedCondition(f.job("t") ?? [:]) != nil }
            try await f.ttlController.reconcile("default/t")
            #expect(try await f.cluster.exists(.jobs, namespace: "default", name: "t") != nil)
            f.wallClock.advance(seconds: 101)
            try await f.ttlController.reconcile("default/t")
            let gone = try await f.cluster.exists(.jobs, namespace: "default", name: "t")
            #expect(gone == nil || gone?.isBeingDeleted == true)
        }
    }
}
