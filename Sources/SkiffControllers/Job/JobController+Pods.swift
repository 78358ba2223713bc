import Foundation
import SkiffClient
import SkiffModel

extension JobController {
    /// Creates Pods until `parallelism` (capped by the completions still missing) are active, or
    /// deletes the surplus; Indexed Jobs create the lowest indexes neither completed nor running.
    func manage(_ job: JSON, active: [JSON], finished: [JSON], completed: Set<Int>, succeeded: Int, key: String, now: Double) async throws {
        let spec = job["spec"] ?? [:]
        let parallelism = Int(spec["parallelism"]?.int ?? 1)
        let completions = spec["completions"]?.int.map(Int.init)
        let indexed = spec["completionMode"]?.string == "Indexed"
        var wanted = parallelism
        if let completions {
            wanted = min(parallelism, max(0, completions - (indexed ? completed.count : succeeded)))
        } else if succeeded > 0 {
            wanted = 0
        }
        if active.count > wanted {
            await deletePods(Array(active.sorted { $0.creationSeconds > $1.creationSeconds }.prefix(active.count - wanted)), of: job, key: key)
            return
        }
        guard active.count < wanted else { return }
        // Failed Pods are replaced after a back-off, as kube-controller-manager does.
        let wait = Self.podFailureBackoff(finished, now: now)
        if wait > 0 {
            await queue.addAfter(key, .milliseconds(Int(wait * 1000) + 10))
            return
        }
        var templates: [JSON] = []
        if indexed, let completions {
            let running = Set(active.compactMap(JobIndexes.index))
            let missing = (0..<completions).filter { !completed.contains($0) && !running.contains($0) }
            templates = missing.prefix(wanted - active.count).map { Self.podFromTemplate(job, index: $0) }
        } else {
            templates = Array(repeating: Self.podFromTemplate(job, index: nil), count: wanted - active.count)
        }
        expectations.expectCreations(key, templates.count)
        var firstError: (any Error)?
        for template in templates {
            do {
                let created = try await client.create(.pods, namespace: job.objectNamespace, template)
                events.event(job, reason: "SuccessfulCreate", message: "Created pod: \(created.objectName)")
            } catch {
                expectations.creationObserved(key)
                events.event(job, type: .warning, reason: "FailedCreate", message: "Error creating: \((error as? APIError)?.message ?? "\(error)")")
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }

    func deletePods(_ victims: [JSON], of job: JSON, key: String) async {
        guard !victims.isEmpty else { return }
        expectations.expectDeletions(key, victims.map(ObjectKey.of))
        for pod in victims {
            do {
                try await client.delete(.pods, namespace: pod.objectNamespace, name: pod.objectName)
                events.event(job, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.objectName)")
            } catch {
                expectations.deletionObserved(key, ObjectKey.of(pod))
            }
        }
    }

    /// The Pod the Job creates: the template with `generateName: <job>-` (`<job>-<index>-` when
    /// Indexed), the tracking finalizer, the Job as controller, and for an index the annotation,
    /// label, `JOB_COMPLETION_INDEX` env and hostname `<job>-<index>`.
    static func podFromTemplate(_ job: JSON, index: Int?) -> JSON {
        let template = job["spec", "template"] ?? [:]
        var meta: JSON = ["generateName": .string(job.objectName + "-" + (index.map { "\($0)-" } ?? "")),
                          "namespace": .string(job.objectNamespace),
                          "ownerReferences": [JSON.controllerReference(to: job, apiVersion: resource.apiVersion, kind: resource.kind)]]
        for field in ["labels", "annotations"] {
            if let value = template["metadata", field], !value.isNull { meta[field] = value }
        }
        meta["finalizers"] = .array((template["metadata", "finalizers"]?.array ?? []) + [.string(trackingFinalizer)])
        var spec = template["spec"] ?? [:]
        if let index {
            if meta["annotations"] == nil { meta["annotations"] = [:] }
            if meta["labels"] == nil { meta["labels"] = [:] }
            meta["annotations", indexKey] = .string(String(index))
            meta["labels", indexKey] = .string(String(index))
            if (spec["hostname"]?.string ?? "").isEmpty { spec["hostname"] = .string("\(job.objectName)-\(index)") }
            for list in ["containers", "initContainers"] {
                guard let containers = spec[list]?.array else { continue }
                spec[list] = .array(containers.map { c in
                    var c = c
                    c["env"] = .array((c["env"]?.array ?? []) + [["name": "JOB_COMPLETION_INDEX",
                        "valueFrom": ["fieldRef": ["apiVersion": "v1", "fieldPath": .string("metadata.labels['\(indexKey)']")]]]])
                    return c
                })
            }
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec]
    }
}

/// Job conditions (`status.conditions`).
enum JobStatus {
    static func isFinished(_ status: JSON) -> Bool {
        (status["conditions"]?.array ?? []).contains {
            ($0["type"]?.string == "Complete" || $0["type"]?.string == "Failed") && $0["status"]?.string == "True"
        }
    }

    /// The reason and message of the True condition `type`, if any.
    static func condition(_ status: JSON, _ type: String) -> (reason: String, message: String)? {
        guard let c = (status["conditions"]?.array ?? []).first(where: { $0["type"]?.string == type && $0["status"]?.string == "True" })
        else { return nil }
        return (c["reason"]?.string ?? "", c["message"]?.string ?? "")
    }

    static func set(_ status: inout JSON, _ type: String, _ reason: String, _ message: String, now: Double) {
        let ts = JSON.string(Timestamp.format(now))
        var conditions = (status["conditions"]?.array ?? []).filter { $0["type"]?.string != type }
        conditions.append(["type": .string(type), "status": "True", "reason": .string(reason), "message": .string(message),
                           "lastProbeTime": ts, "lastTransitionTime": ts])
        status["conditions"] = .array(conditions)
    }
}

/// Completion indexes: the Pod annotation and the `completedIndexes` format ("1,3-5,7").
enum JobIndexes {
    static func index(_ pod: JSON) -> Int? {
        pod["metadata", "annotations", JobController.indexKey]?.string.flatMap { Int($0) }
    }

    static func parse(_ text: String) -> Set<Int> {
        var result = Set<Int>()
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 { result.insert(bounds[0]) }
            else if bounds.count == 2, bounds[0] <= bounds[1] { result.formUnion(bounds[0]...bounds[1]) }
        }
        return result
    }

    static func format(_ indexes: Set<Int>) -> String {
        var parts: [String] = []
        var sorted = indexes.sorted()[...]
        while let first = sorted.popFirst() {
            var last = first
            while sorted.first == last + 1 { last = sorted.removeFirst() }
            parts.append(first == last ? "\(first)" : "\(first)-\(last)")
        }
        return parts.joined(separator: ",")
    }
}

extension JobController {
    static let podFailureBackoffBase = 10.0
    static let podFailureBackoffMax = 360.0

    /// Seconds to wait before creating Pods again (the Job controller's backoffRecord): 10 s
    /// doubling with each Pod failure since the last success, at most 6 minutes, counted from
    /// the last failure.
    static func podFailureBackoff(_ finished: [JSON], now: Double) -> Double {
        let lastSuccess = finished.filter { $0["status", "phase"]?.string == "Succeeded" }.map(finishTime).max() ?? -.infinity
        let failures = finished.filter { $0["status", "phase"]?.string == "Failed" }.map(finishTime).filter { $0 > lastSuccess }
        guard let lastFailure = failures.max() else { return 0 }
        let backoff = min(podFailureBackoffBase * pow(2, Double(failures.count - 1)), podFailureBackoffMax)
        return max(0, lastFailure + backoff - now)
    }

    /// When a Pod finished (getFinishedTime): its deletion, else its containers' last finish, else
    /// when it stopped being Ready, else its creation.
    static func finishTime(_ pod: JSON) -> Double {
        if let t = pod["metadata", "deletionTimestamp"]?.string.flatMap(Timestamp.parse) { return t }
        let containers = (pod["status", "containerStatuses"]?.array ?? []).compactMap {
            $0["state", "terminated", "finishedAt"]?.string.flatMap(Timestamp.parse)
        }
        if let t = containers.max() { return t }
        if let ready = (pod["status", "conditions"]?.array ?? []).first(where: { $0["type"] == "Ready" && $0["status"] == "False" }),
           let t = ready["lastTransitionTime"]?.string.flatMap(Timestamp.parse) { return t }
        return pod.creationSeconds
    }
}
