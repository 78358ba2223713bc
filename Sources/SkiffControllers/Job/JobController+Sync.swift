import SkiffClient
import SkiffModel

extension JobController {
    /// One pass over the Job at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard var job = jobs.get(key: key) else {
            expectations.delete(key)
            replacedVersions.forget(key)
            return
        }
        guard replacedVersions.isCurrent(job, key: key) else { return }
        let now = wallClock()
        let owned = try await claimPods(job)
        // 1. Terminal Pods still holding the finalizer are recorded as uncounted, then released.
        job = try await trackFinished(job, owned, now: now)
        let spec = job["spec"] ?? [:]
        var status = job["status"] ?? [:]
        if JobStatus.isFinished(status) { return }
        let active = owned.filter(PodState.isActive)
        let terminating = owned.filter { $0.isBeingDeleted && !Self.isTerminal($0) }
        let succeeded = Int(status["succeeded"]?.int ?? 0), failed = Int(status["failed"]?.int ?? 0)
        let indexed = spec["completionMode"]?.string == "Indexed"
        let completions = spec["completions"]?.int.map(Int.init)
        let completed = JobIndexes.parse(status["completedIndexes"]?.string ?? "")
        let suspended = spec["suspend"]?.bool == true
        if !suspended, status["startTime"]?.string == nil { status["startTime"] = .string(Timestamp.format(now)) }

        var failure = JobStatus.condition(status, "FailureTarget")
        if failure == nil {
            if failed > Int(spec["backoffLimit"]?.int ?? 6) {
                failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
            } else if !suspended, let deadline = spec["activeDeadlineSeconds"]?.int,
                      let start = status["startTime"]?.string.flatMap(Timestamp.parse) {
                if now >= start + Double(deadline) {
                    failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
                } else {
                    await queue.addAfter(key, .milliseconds(Int((start + Double(deadline) - now) * 1000) + 10))
                }
            }
            if let failure {
                JobStatus.set(&status, "FailureTarget", failure.reason, failure.message, now: now)
                events.event(job, type: .warning, reason: failure.reason, message: failure.message)
            }
        }
        var success = JobStatus.condition(status, "SuccessCriteriaMet") != nil
        if failure == nil, !success {
            if indexed, let completions { success = completed.count >= completions }
            else if let completions { success = succeeded >= completions }
            else { success = succeeded > 0 }
            if success { JobStatus.set(&status, "SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now: now) }
        }

        var manageError: (any Error)?
        if failure != nil || success || suspended {
            await deletePods(active, of: job, key: key)
        } else if expectations.satisfied(key) {
            do {
                try await manage(job, active: active, finished: owned.filter(Self.isTerminal), completed: completed, succeeded: succeeded,
                                 key: key, now: now)
            } catch { manageError = error }
        }
        let remaining = failure != nil || success || suspended ? terminating.count + active.count : 0
        if let failure, remaining == 0 {
            JobStatus.set(&status, "Failed", failure.reason, failure.message, now: now)
        } else if success, remaining == 0 {
            JobStatus.set(&status, "Complete", "CompletionsReached", "Reached expected number of succeeded pods", now: now)
            status["completionTime"] = .string(Timestamp.format(now))
            events.event(job, reason: "Completed", message: "Job completed")
        }
        status["active"] = .int(Int64(active.count))
        status["ready"] = .int(Int64(active.filter(PodState.isReady).count))
        status["terminating"] = .int(Int64(terminating.count))
        if status != job["status"] {
            job["status"] = status
            _ = try await writeStatus(job, key: key)
        }
        if let manageError { throw manageError }
    }

    /// Writes the Job's status, noting the version it replaces (see `replacedVersions`).
    func writeStatus(_ job: JSON, key: String) async throws -> JSON {
        let written = try await client.updateStatus(Self.resource, job)
        replacedVersions.noteWrite(basedOn: job, key: key)
        return written
    }

    static func isTerminal(_ pod: JSON) -> Bool {
        let phase = pod["status", "phase"]?.string
        return phase == "Succeeded" || phase == "Failed"
    }

    /// The Pods the Job controls after adoption and release (`ControllerRefManager`): its own,
    /// and, while the Job is unfinished, orphans its selector matches, which get the tracking
    /// finalizer as they are adopted.
    func claimPods(_ job: JSON) async throws -> [JSON] {
        let uid = job.objectUID
        let candidates = pods.list(namespace: job.objectNamespace).filter { pod in
            guard let ref = pod.controllerRef else { return true }
            return ref["uid"]?.string == uid
        }
        if JobStatus.isFinished(job["status"] ?? [:]) {
            return candidates.filter { $0.controllerRef != nil }
        }
        let claimer = ControllerRefManager(client: client, controller: job, controllerResource: Self.resource, ownedResource: .pods,
                                           selector: job.specSelector, adoptionFinalizers: [Self.trackingFinalizer])
        return try await claimer.claim(candidates)
    }

    /// Counts finished Pods: adds their UIDs to `uncountedTerminatedPods`, removes their
    /// finalizers, then moves the released ones into `succeeded`/`failed` (and `completedIndexes`).
    /// A failure the `podFailurePolicy` ignores is released without being counted; one it fails
    /// the Job for sets the `FailureTarget` condition (reason `PodFailurePolicy`).
    func trackFinished(_ job: JSON, _ owned: [JSON], now: Double) async throws -> JSON {
        var job = job
        var status = job["status"] ?? [:]
        var uncountedSucceeded = status["uncountedTerminatedPods", "succeeded"]?.array?.compactMap(\.string) ?? []
        var uncountedFailed = status["uncountedTerminatedPods", "failed"]?.array?.compactMap(\.string) ?? []
        let policy = job["spec", "podFailurePolicy"]
        // A terminating Pod counts as failed, except under a pod failure policy, which waits for
        // its exit codes; once the Job is finishing, terminating Pods are released either way.
        let finishing = JobStatus.condition(status, "FailureTarget") != nil || JobStatus.condition(status, "SuccessCriteriaMet") != nil
        let releaseTerminating = !JobStatus.isFinished(status) && (policy == nil || finishing)
        let finished = owned.filter { pod in
            (Self.isTerminal(pod) || (pod.isBeingDeleted && releaseTerminating))
                && (pod["metadata", "finalizers"]?.array ?? []).contains(.string(Self.trackingFinalizer))
        }
        var added = false
        for pod in finished where !uncountedSucceeded.contains(pod.objectUID) && !uncountedFailed.contains(pod.objectUID) {
            if pod["status", "phase"]?.string == "Succeeded" {
                uncountedSucceeded.append(pod.objectUID)
                added = true
                continue
            }
            if policy != nil && !Self.isTerminal(pod) { continue }
            switch PodFailurePolicy.action(for: pod, policy: policy) {
            case .ignore:
                continue
            case .failJob(let message):
                if JobStatus.condition(status, "FailureTarget") == nil {
                    JobStatus.set(&status, "FailureTarget", "PodFailurePolicy", message, now: now)
                    events.event(job, type: .warning, reason: "PodFailurePolicy", message: message)
                }
            case .count:
                break
            }
            uncountedFailed.append(pod.objectUID)
            added = true
        }
        if added {
            status["uncountedTerminatedPods"] = ["succeeded": .array(uncountedSucceeded.map(JSON.string)), "failed": .array(uncountedFailed.map(JSON.string))]
            job["status"] = status
            job = try await writeStatus(job, key: ObjectKey.of(job))
        }
        for pod in finished { try await removeFinalizer(pod) }
        let stillHeld = Set(owned.filter { pod in
            (pod["metadata", "finalizers"]?.array ?? []).contains(.string(Self.trackingFinalizer)) && !finished.contains(pod)
        }.map(\.objectUID))
        guard !uncountedSucceeded.isEmpty || !uncountedFailed.isEmpty else { return job }
        status = job["status"] ?? [:]
        let byUID = Dictionary(owned.map { ($0.objectUID, $0) }, uniquingKeysWith: { a, _ in a })
        var completed = JobIndexes.parse(status["completedIndexes"]?.string ?? "")
        var succeeded = status["succeeded"]?.int ?? 0, failed = status["failed"]?.int ?? 0
        for uid in uncountedSucceeded where !stillHeld.contains(uid) {
            succeeded += 1
            if let index = byUID[uid].flatMap(JobIndexes.index) { completed.insert(index) }
        }
        for uid in uncountedFailed where !stillHeld.contains(uid) { failed += 1 }
        status["succeeded"] = .int(succeeded)
        status["failed"] = .int(failed)
        if job["spec", "completionMode"]?.string == "Indexed" { status["completedIndexes"] = .string(JobIndexes.format(completed)) }
        status["uncountedTerminatedPods"] = [:]
        job["status"] = status
        return try await writeStatus(job, key: ObjectKey.of(job))
    }

    func removeFinalizer(_ pod: JSON) async throws {
        let finalizers = (pod["metadata", "finalizers"]?.array ?? []).filter { $0 != .string(Self.trackingFinalizer) }
        let patch: JSON = ["metadata": ["finalizers": .array(finalizers), "resourceVersion": pod["metadata", "resourceVersion"] ?? .null]]
        do {
            _ = try await client.patch(.pods, namespace: pod.objectNamespace, name: pod.objectName, type: .merge, patch)
        } catch let e as APIError where e.isNotFound {
        }
    }
}
