import Foundation
import SkiffModel

/// batch/v1 Job: defaults, the generated selector and template labels, restart policy rules,
/// an immutable template, and kubectl's columns.
struct JobStrategy: StatusSubresourceStrategy {
    func applyDefaults(_ object: inout JSON) {
        var spec = object["spec"] ?? [:]
        if spec["parallelism"] == nil { spec["parallelism"] = 1 }
        if spec["completions"] == nil && object["spec", "parallelism"] == nil { spec["completions"] = 1 }
        if spec["backoffLimit"] == nil { spec["backoffLimit"] = 6 }
        if spec["completionMode"] == nil { spec["completionMode"] = "NonIndexed" }
        if spec["suspend"] == nil { spec["suspend"] = false }
        if spec["podReplacementPolicy"] == nil {
            spec["podReplacementPolicy"] = spec["podFailurePolicy"].map { $0.isNull ? "TerminatingOrFailed" : "Failed" } ?? "TerminatingOrFailed"
        }
        if var podSpec = spec["template", "spec"] {
            PodSpecRules.applyDefaults(&podSpec)
            spec["template", "spec"] = podSpec
        }
        object["spec"] = spec
    }

    func prepareForCreate(_ object: inout JSON) {
        object["status"] = nil
        guard object["spec", "manualSelector"]?.bool != true, let uid = object["metadata", "uid"]?.string else { return }
        let name = object["metadata", "name"]?.string ?? ""
        object["spec", "selector"] = ["matchLabels": ["batch.kubernetes.io/controller-uid": .string(uid)]]
        var labels = object["spec", "template", "metadata", "labels"]?.members ?? [:]
        for (k, v) in ["batch.kubernetes.io/controller-uid": uid, "controller-uid": uid, "batch.kubernetes.io/job-name": name, "job-name": name] {
            labels[k] = .string(v)
        }
        object["spec", "template", "metadata", "labels"] = .object(labels)
    }

    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? [:]
        for field in ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"] {
            if let v = spec[field]?.int, v < 0 {
                errors.append(.invalid("spec.\(field)", .int(v), "must be greater than or equal to 0"))
            }
        }
        if let mode = spec["completionMode"]?.string, !["NonIndexed", "Indexed"].contains(mode) {
            errors.append(.notSupported("spec.completionMode", .string(mode), ["NonIndexed", "Indexed"]))
        }
        if spec["completionMode"] == "Indexed", spec["completions"] == nil {
            errors.append(.required("spec.completions", "when completion mode is Indexed"))
        }
        let policy = spec["template", "spec", "restartPolicy"]?.string ?? ""
        if !["OnFailure", "Never"].contains(policy) {
            errors.append(policy.isEmpty ? .required("spec.template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\"")
                                         : .notSupported("spec.template.spec.restartPolicy", .string(policy), ["OnFailure", "Never"]))
        } else if let failurePolicy = spec["podFailurePolicy"], !failurePolicy.isNull, policy != "Never" {
            errors.append(.invalid("spec.template.spec.restartPolicy", .string(policy), "only \"Never\" is supported when podFailurePolicy is specified"))
        }
        errors += PodFailurePolicyRules.validate(spec)
        errors += PodSpecRules.validate(spec["template", "spec"], field: "spec.template.spec")
        return errors
    }

    func validateUpdate(_ object: JSON, old: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        if object["spec", "selector"] != old["spec", "selector"] {
            errors.append(.invalid("spec.selector", object["spec", "selector"] ?? .null, "field is immutable"))
        }
        if object["spec", "template"] != old["spec", "template"], old["spec", "suspend"]?.bool != true {
            errors.append(.invalid("spec.template", object["spec", "template"] ?? .null, "field is immutable"))
        }
        if object["spec", "podFailurePolicy"] != old["spec", "podFailurePolicy"] {
            errors.append(.invalid("spec.podFailurePolicy", object["spec", "podFailurePolicy"] ?? .null, "field is immutable"))
        }
        if object["spec", "completions"] != old["spec", "completions"], object["spec", "completionMode"] != "Indexed" {
            errors.append(.invalid("spec.completions", object["spec", "completions"] ?? .null, "field is immutable"))
        }
        return errors
    }

    func selectableFields(_ object: JSON) -> [String: String] {
        ["status.successful": String(object["status", "succeeded"]?.int ?? 0)]
    }

    var columns: [TableColumn] {
        [.name, TableColumn("Status", description: "Status of the job."),
         TableColumn("Completions", description: "The desired number of successfully finished pods the job should be run with."),
         TableColumn("Duration", description: "Time required to complete the job."), .age,
         TableColumn("Containers", priority: 1, description: "Names of each container in the template."),
         TableColumn("Images", priority: 1, description: "Images referenced by each container in the template."),
         TableColumn("Selector", priority: 1, description: "A label query over pods that should match the pod count.")]
    }

    func cells(_ o: JSON) -> [JSON] {
        let conditions = o["status", "conditions"]?.array ?? []
        func has(_ t: String) -> Bool { conditions.contains { $0["type"]?.string == t && $0["status"] == "True" } }
        let status = has("Complete") ? "Complete" : has("Failed") ? "Failed" : o["metadata", "deletionTimestamp"] != nil ? "Terminating"
            : has("Suspended") ? "Suspended" : has("FailureTarget") ? "FailureTarget" : "Running"
        let succeeded = o["status", "succeeded"]?.int ?? 0
        let completions = o["spec", "completions"]?.int.map { "\(succeeded)/\($0)" } ?? "\(succeeded)/1 of \(o["spec", "parallelism"]?.int ?? 1)"
        var duration = ""
        if let start = o["status", "startTime"]?.string.flatMap(Timestamp.parse) {
            let end = o["status", "completionTime"]?.string.flatMap(Timestamp.parse) ?? Timestamp.now()
            duration = Timestamp.humanDuration(end - start)
        }
        let containers = o["spec", "template", "spec", "containers"]?.array ?? []
        let selector = LabelSelector.from(o["spec", "selector"] ?? .null).map(\.description).get(or: "<none>")
        return [o["metadata", "name"] ?? "", .string(status), .string(completions), .string(duration), .string(Timestamp.age(of: o)),
                .string(containers.compactMap { $0["name"]?.string }.joined(separator: ",")),
                .string(containers.compactMap { $0["image"]?.string }.joined(separator: ",")), .string(selector)]
    }
}

/// batch/v1 CronJob: defaults, a schedule that must parse, kubectl's columns.
struct CronJobStrategy: StatusSubresourceStrategy {
    func applyDefaults(_ object: inout JSON) {
        var spec = object["spec"] ?? [:]
        if spec["concurrencyPolicy"] == nil { spec["concurrencyPolicy"] = "Allow" }
        if spec["suspend"] == nil { spec["suspend"] = false }
        if spec["successfulJobsHistoryLimit"] == nil { spec["successfulJobsHistoryLimit"] = 3 }
        if spec["failedJobsHistoryLimit"] == nil { spec["failedJobsHistoryLimit"] = 1 }
        object["spec"] = spec
    }

    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let schedule = object["spec", "schedule"]?.string ?? ""
        if schedule.isEmpty {
            errors.append(.required("spec.schedule"))
        } else {
            errors += Self.validateSchedule(schedule)
        }
        if let zone = object["spec", "timeZone"], !zone.isNull {
            errors += Self.validateTimeZone(zone.string ?? "")
        }
        if let policy = object["spec", "concurrencyPolicy"]?.string, !["Allow", "Forbid", "Replace"].contains(policy) {
            errors.append(.notSupported("spec.concurrencyPolicy", .string(policy), ["Allow", "Forbid", "Replace"]))
        }
        if object["spec", "jobTemplate"] == nil { errors.append(.required("spec.jobTemplate")) }
        return errors
    }

    /// Kubernetes' validateScheduleFormat: the schedule must parse (robfig/cron's messages), and
    /// may not carry `TZ=`/`CRON_TZ=` (on create; the timeZone field replaces them).
    static func validateSchedule(_ schedule: String) -> [FieldError] {
        var errors: [FieldError] = []
        var text = schedule
        if text.hasPrefix("TZ=") || text.hasPrefix("CRON_TZ=") {
            let parts = text.split(separator: " ", maxSplits: 1)
            let zone = String(parts[0].split(separator: "=", maxSplits: 1).last ?? "")
            text = parts.count > 1 ? String(parts[1]) : ""
            if TimeZone(identifier: zone) == nil {
                errors.append(.invalid("spec.schedule", .string(schedule), "provided bad location \(zone): unknown time zone \(zone)"))
                text = "* * * * *"
            }
        }
        if case .failure(let error) = CronSchedule.parse(text) {
            errors.append(.invalid("spec.schedule", .string(schedule), error.description))
        }
        if schedule.contains("TZ") {
            errors.append(.invalid("spec.schedule", .string(schedule), "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
        }
        return errors
    }

    /// Kubernetes' validateTimeZone: an explicit IANA zone name.
    static func validateTimeZone(_ zone: String) -> [FieldError] {
        if zone.isEmpty { return [.invalid("spec.timeZone", .string(zone), "timeZone must be nil or non-empty string")] }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+.")
        for part in zone.split(separator: "/", omittingEmptySubsequences: false) {
            if part == "." || part == ".." || part.hasPrefix("-") || part.isEmpty || part.count > 14 || !part.allSatisfy(allowed.contains) {
                return [.invalid("spec.timeZone", .string(zone), "unknown time zone \(zone)")]
            }
        }
        if zone.lowercased() == "local" {
            return [.invalid("spec.timeZone", .string(zone), "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")]
        }
        if TimeZone(identifier: zone) == nil { return [.invalid("spec.timeZone", .string(zone), "unknown time zone \(zone)")] }
        return []
    }

    var columns: [TableColumn] {
        [.name, TableColumn("Schedule", description: "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
         TableColumn("Timezone", description: "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
         TableColumn("Suspend", "boolean", description: "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions."),
         TableColumn("Active", "integer", description: "A list of pointers to currently running jobs."),
         TableColumn("Last Schedule", description: "Information when was the last time the job was successfully scheduled."), .age,
         TableColumn("Containers", priority: 1, description: "Names of each container in the template."),
         TableColumn("Images", priority: 1, description: "Images referenced by each container in the template."),
         TableColumn("Selector", priority: 1, description: "A label query over pods that should match the pod count.")]
    }

    func cells(_ o: JSON) -> [JSON] {
        let last = o["status", "lastScheduleTime"]?.string.flatMap(Timestamp.parse).map { Timestamp.humanDuration(Timestamp.now() - $0) } ?? "<none>"
        let containers = o["spec", "jobTemplate", "spec", "template", "spec", "containers"]?.array ?? []
        let selector = LabelSelector.from(o["spec", "jobTemplate", "spec", "selector"] ?? [:]).map(\.description).get(or: "<none>")
        return [o["metadata", "name"] ?? "", .string(o["spec", "schedule"]?.string ?? ""), .string(o["spec", "timeZone"]?.string ?? "<none>"),
                .bool(o["spec", "suspend"]?.bool ?? false), .int(Int64(o["status", "active"]?.array?.count ?? 0)), .string(last),
                .string(Timestamp.age(of: o)),
                .string(containers.compactMap { $0["name"]?.string }.joined(separator: ",")),
                .string(containers.compactMap { $0["image"]?.string }.joined(separator: ",")),
                .string(selector.isEmpty ? "<none>" : selector)]
    }
}
