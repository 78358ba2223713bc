import SkiffModel

/// Validation of a Job's `spec.podFailurePolicy`, with kube-apiserver's messages.
enum PodFailurePolicyRules {
    static let actions = ["Count", "FailIndex", "FailJob", "Ignore"]
    static let operators = ["In", "NotIn"]
    static let conditionStatuses = ["False", "True", "Unknown"]

    /// Go's `%q` of a string list, as the "valid values" details print it.
    static func quoted(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: " ") + "]" }

    static func validate(_ spec: JSON) -> [FieldError] {
        guard let policy = spec["podFailurePolicy"], !policy.isNull else { return [] }
        var errors: [FieldError] = []
        let rules = policy["rules"]?.array ?? []
        if rules.count > 20 { errors.append(FieldError(.tooMany, "spec.podFailurePolicy.rules", "must have at most 20 items")) }
        let template = spec["template", "spec"] ?? [:]
        let containers = Set(((template["containers"]?.array ?? []) + (template["initContainers"]?.array ?? [])).compactMap { $0["name"]?.string })
        for (i, rule) in rules.enumerated() {
            errors += validate(rule, path: "spec.podFailurePolicy.rules[\(i)]", spec: spec, containers: containers)
        }
        if let replacement = spec["podReplacementPolicy"]?.string, replacement != "Failed" {
            errors.append(.notSupported("spec.podReplacementPolicy", .string(replacement), ["Failed"]))
        }
        return errors
    }

    static func validate(_ rule: JSON, path: String, spec: JSON, containers: Set<String>) -> [FieldError] {
        var errors: [FieldError] = []
        let action = rule["action"]?.string ?? ""
        if action.isEmpty {
            errors.append(.required(path + ".action", "valid values: " + quoted(actions)))
        } else if action == "FailIndex" {
            if spec["backoffLimitPerIndex"]?.int == nil {
                errors.append(.invalid(path + ".action", .string(action), "requires the backoffLimitPerIndex to be set"))
            }
        } else if !actions.contains(action) {
            errors.append(.notSupported(path + ".action", .string(action), actions))
        }
        let onExitCodes = rule["onExitCodes"].flatMap { $0.isNull ? nil : $0 }
        let onConditions = rule["onPodConditions"]?.array ?? []
        if let onExitCodes { errors += validate(exitCodes: onExitCodes, path: path + ".onExitCodes", containers: containers) }
        for (j, pattern) in onConditions.enumerated() {
            let patternPath = "\(path).onPodConditions[\(j)]"
            for message in NameValidation.qualifiedName(pattern["type"]?.string ?? "") {
                errors.append(.invalid(patternPath + ".type", pattern["type"] ?? "", message))
            }
            let status = pattern["status"]?.string ?? ""
            if status.isEmpty {
                errors.append(.required(patternPath + ".status", "valid values: " + quoted(conditionStatuses)))
            } else if !conditionStatuses.contains(status) {
                errors.append(.notSupported(patternPath + ".status", .string(status), conditionStatuses))
            }
        }
        if onExitCodes != nil && !onConditions.isEmpty {
            errors.append(FieldError(.invalid, path, "specifying both OnExitCodes and OnPodConditions is not supported"))
        }
        if onExitCodes == nil && onConditions.isEmpty {
            errors.append(FieldError(.invalid, path, "specifying one of OnExitCodes and OnPodConditions is required"))
        }
        return errors
    }

    static func validate(exitCodes requirement: JSON, path: String, containers: Set<String>) -> [FieldError] {
        var errors: [FieldError] = []
        let operation = requirement["operator"]?.string ?? ""
        if operation.isEmpty {
            errors.append(.required(path + ".operator", "valid values: " + quoted(operators)))
        } else if !operators.contains(operation) {
            errors.append(.notSupported(path + ".operator", .string(operation), operators))
        }
        if let name = requirement["containerName"]?.string, !containers.contains(name) {
            errors.append(.invalid(path + ".containerName", .string(name), "must be one of the container or initContainer names in the pod template"))
        }
        let values = (requirement["values"]?.array ?? []).compactMap(\.int)
        if values.isEmpty {
            errors.append(.invalid(path + ".values", requirement["values"] ?? [], "at least one value is required"))
        } else if values.count > 255 {
            errors.append(FieldError(.tooMany, path + ".values", "must have at most 255 items"))
        }
        var seen = Set<Int64>()
        for (j, value) in values.enumerated() {
            if operation == "In" && value == 0 { errors.append(.invalid("\(path).values[\(j)]", .int(0), "must not be 0 for the In operator")) }
            if !seen.insert(value).inserted { errors.append(.duplicate("\(path).values[\(j)]", .int(value))) }
        }
        if values != values.sorted() { errors.append(.invalid(path + ".values", .array(values.map(JSON.int)), "must be ordered")) }
        return errors
    }
}
