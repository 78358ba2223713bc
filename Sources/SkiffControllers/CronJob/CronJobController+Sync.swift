import Foundation
import SkiffClient
import SkiffModel

extension CronJobController {
    /// One pass over the CronJob at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard var cron = cronJobs.get(key: key) else { return }
        let now = wallClock()
        let children = jobs.list(namespace: cron.objectNamespace).filter { $0.controllerRef?["uid"]?.string == cron.objectUID }
        let original = cron["status"] ?? [:]
        var status = original
        var active = status["active"]?.array ?? []
        let childUIDs = Set(children.map(\.objectUID))
        for job in children {
            let listed = active.contains { $0["uid"]?.string == job.objectUID }
            let finished = Self.finishedCondition(job)
            if listed, let finished {
                active.removeAll { $0["uid"]?.string == job.objectUID }
                events.event(cron, reason: "SawCompletedJob", message: "Saw completed job: \(job.objectName), condition: \(finished)")
            }
            if finished == "Complete", let done = job["status", "completionTime"]?.string.flatMap(Timestamp.parse),
               done > (status["lastSuccessfulTime"]?.string.flatMap(Timestamp.parse) ?? 0) {
                status["lastSuccessfulTime"] = .string(Timestamp.format(done))
            }
        }
        for ref in active where !childUIDs.contains(ref["uid"]?.string ?? "") {
            let name = ref["name"]?.string ?? ""
            if (try? await client.get(.jobs, namespace: cron.objectNamespace, name: name))?.objectUID == ref["uid"]?.string { continue }
            events.event(cron, reason: "MissingJob", message: "Active job went missing: \(name)")
            active.removeAll { $0["uid"] == ref["uid"] }
        }
        status["active"] = active.isEmpty ? nil : .array(active)
        if !cron.isBeingDeleted {
            try await schedule(&cron, &status, children: children, now: now, key: key)
        }
        if status != original {
            cron["status"] = status
            cron = try await client.updateStatus(Self.resource, cron)
        }
        await cleanupFinishedJobs(cron, children)
    }

    /// Starts the run due at `now`, if any; returns whether a Job was created.
    @discardableResult
    func schedule(_ cron: inout JSON, _ status: inout JSON, children: [JSON], now: Double, key: String) async throws -> Bool {
        let spec = cron["spec"] ?? [:]
        var zone = TimeZone.current
        if let name = spec["timeZone"]?.string {
            guard let z = TimeZone(identifier: name) else {
                events.event(cron, type: .warning, reason: "UnknownTimeZone", message: "invalid timeZone: \"\(name)\"")
                return false
            }
            zone = z
        }
        if spec["suspend"]?.bool == true { return false }
        let schedule: CronSchedule
        switch CronSchedule.parse(spec["schedule"]?.string ?? "") {
        case .success(let s): schedule = s
        case .failure(let e):
            events.event(cron, type: .warning, reason: "UnparseableSchedule", message: "unparseable schedule: \"\(spec["schedule"]?.string ?? "")\" : \(e)")
            return false
        }
        let deadline = spec["startingDeadlineSeconds"]?.int.map(Double.init)
        var earliest = status["lastScheduleTime"]?.string.flatMap(Timestamp.parse) ?? cron.creationSeconds
        if let deadline, now - deadline > earliest { earliest = now - deadline }
        await requeueForNext(key, schedule, zone, now: now)
        guard let (scheduled, missed) = Self.mostRecent(schedule, zone, from: earliest, to: now) else { return false }
        if missed > 100 {
            events.event(cron, type: .warning, reason: "TooManyMissedTimes",
                         message: "too many missed start times: \(missed). Set or decrease .spec.startingDeadlineSeconds or check clock skew")
        }
        if let deadline, scheduled + deadline < now {
            events.event(cron, type: .warning, reason: "MissSchedule",
                         message: "Missed scheduled time to start a job: \(Self.rfc1123(scheduled))")
            return false
        }
        let name = "\(cron.objectName)-\(Int64(scheduled / 60))"
        var active = status["active"]?.array ?? []
        if active.contains(where: { $0["name"]?.string == name }) || children.contains(where: { $0.objectName == name }) { return false }
        switch spec["concurrencyPolicy"]?.string ?? "Allow" {
        case "Forbid" where !active.isEmpty:
            events.event(cron, reason: "JobAlreadyActive",
                         message: "Not starting job because prior execution is running and concurrency policy is Forbid")
            return false
        case "Replace":
            for ref in active {
                let jobName = ref["name"]?.string ?? ""
                do {
                    _ = try await client.delete(.jobs, namespace: cron.objectNamespace, name: jobName, options: .init(propagationPolicy: .background))
                    events.event(cron, reason: "SuccessfulDelete", message: "Deleted job \(jobName)")
                } catch let e as APIError where e.isNotFound {
                }
            }
            active = []
        default:
            break
        }
        let job: JSON
        do {
            job = try await client.create(.jobs, namespace: cron.objectNamespace, Self.job(for: cron, name: name, scheduled: scheduled, zone: zone))
        } catch let e as APIError where e.isAlreadyExists {
            return false
        } catch {
            events.event(cron, type: .warning, reason: "FailedCreate", message: "Error creating job: \((error as? APIError)?.message ?? "\(error)")")
            throw error
        }
        events.event(cron, reason: "SuccessfulCreate", message: "Created job \(job.objectName)")
        active.append(["kind": "Job", "namespace": .string(job.objectNamespace), "name": .string(job.objectName),
                       "uid": .string(job.objectUID), "apiVersion": "batch/v1", "resourceVersion": job["metadata", "resourceVersion"] ?? ""])
        status["active"] = .array(active)
        status["lastScheduleTime"] = .string(Timestamp.format(scheduled))
        return true
    }

    func requeueForNext(_ key: String, _ schedule: CronSchedule, _ zone: TimeZone, now: Double) async {
        guard let next = schedule.next(after: Date(timeIntervalSince1970: now), in: zone) else { return }
        await queue.addAfter(key, .milliseconds(Int((next.timeIntervalSince1970 - now) * 1000) + 100))
    }

    /// The latest schedule time in (`earliest`, `now`] and how many there were.
    static func mostRecent(_ schedule: CronSchedule, _ zone: TimeZone, from earliest: Double, to now: Double) -> (Double, Int)? {
        var t = Date(timeIntervalSince1970: earliest)
        var latest: Double?
        var count = 0
        while let n = schedule.next(after: t, in: zone), n.timeIntervalSince1970 <= now {
            latest = n.timeIntervalSince1970
            count += 1
            t = n
            if count > 100_000 { break }
        }
        return latest.map { ($0, count) }
    }

    /// The Job for the run at `scheduled`: the template's labels, annotations and spec, the
    /// scheduled-timestamp annotation, and the CronJob as controller (getJobFromTemplate2).
    static func job(for cron: JSON, name: String, scheduled: Double, zone: TimeZone) -> JSON {
        let template = cron["spec", "jobTemplate"] ?? [:]
        var meta: JSON = ["name": .string(name), "namespace": .string(cron.objectNamespace),
                          "ownerReferences": [JSON.controllerReference(to: cron, apiVersion: resource.apiVersion, kind: resource.kind)]]
        if let labels = template["metadata", "labels"], !labels.isNull { meta["labels"] = labels }
        var annotations = template["metadata", "annotations"] ?? [:]
        annotations[scheduledTimestamp] = .string(rfc3339(scheduled, zone))
        meta["annotations"] = annotations
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": template["spec"] ?? [:]]
    }

    /// `Complete` or `Failed` when the Job has that condition True.
    static func finishedCondition(_ job: JSON) -> String? {
        (job["status", "conditions"]?.array ?? []).first {
            ($0["type"]?.string == "Complete" || $0["type"]?.string == "Failed") && $0["status"]?.string == "True"
        }?["type"]?.string
    }

    static func rfc3339(_ t: Double, _ zone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ssXXXXX"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    static func rfc1123(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    /// Deletes finished Jobs beyond `successfulJobsHistoryLimit` / `failedJobsHistoryLimit`, oldest first.
    func cleanupFinishedJobs(_ cron: JSON, _ children: [JSON]) async {
        for (type, field) in [("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")] {
            guard let limit = cron["spec", field]?.int else { continue }
            let finished = children.filter { Self.finishedCondition($0) == type && !$0.isBeingDeleted }.sorted {
                ($0["status", "startTime"]?.string.flatMap(Timestamp.parse) ?? $0.creationSeconds)
                    < ($1["status", "startTime"]?.string.flatMap(Timestamp.parse) ?? $1.creationSeconds)
            }
            for job in finished.dropLast(Int(max(limit, 0))) {
                do {
                    _ = try await client.delete(.jobs, namespace: job.objectNamespace, name: job.objectName,
                                                options: .init(propagationPolicy: .background))
                    events.event(cron, reason: "SuccessfulDelete", message: "Deleted job \(job.objectName)")
                } catch {
                    logger.warning("deleting a finished job failed", metadata: ["k8s.name": "\(job.objectName)", "error": "\(error)"])
                }
            }
        }
    }
}
