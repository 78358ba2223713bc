import SkiffModel

/// A Job's `spec.podFailurePolicy`: what a failed Pod means for the Job. Rules are tried in order
/// and the first that matches decides; with none, the failure counts towards `backoffLimit`.
///
/// A rule matches on exit codes (`onExitCodes`: the first terminated app or init container,
/// optionally the one named `containerName`, whose non-zero exit code is `In` or `NotIn`
/// `values`) or on Pod conditions (`onPodConditions`: a condition with that type and status).
/// A rule with an action this controller does not know is skipped, as Kubernetes does.
enum PodFailurePolicy {
    enum Action: Equatable {
        /// The failure counts towards `backoffLimit` (also when no rule matches).
        case count
        /// The failure is not counted and the Pod is replaced.
        case ignore
        /// The Job fails at once, with this message.
        case failJob(String)
    }

    static func action(for pod: JSON, policy: JSON?) -> Action {
        guard let rules = policy?["rules"]?.array else { return .count }
        for (index, rule) in rules.enumerated() {
            let action = rule["action"]?.string ?? ""
            guard ["Count", "Ignore", "FailJob"].contains(action) else { continue }
            var failMessage: String?
            if let requirement = rule["onExitCodes"], requirement.object != nil {
                guard let (container, code) = matchingContainer(pod, requirement) else { continue }
                failMessage = "Container \(container) for pod \(pod.objectNamespace)/\(pod.objectName) failed with exit code \(code) "
                    + "matching \(action) rule at index \(index)"
            } else if let patterns = rule["onPodConditions"]?.array {
                guard let type = matchingCondition(pod, patterns) else { continue }
                failMessage = "Pod \(pod.objectNamespace)/\(pod.objectName) has condition \(type) matching \(action) rule at index \(index)"
            } else {
                continue
            }
            switch action {
            case "Ignore": return .ignore
            case "FailJob": return .failJob(failMessage ?? "")
            default: return .count
            }
        }
        return .count
    }

    /// The name and exit code of the first terminated container (app containers, then init
    /// containers) whose non-zero exit code satisfies `requirement`.
    static func matchingContainer(_ pod: JSON, _ requirement: JSON) -> (String, Int64)? {
        let name = requirement["containerName"]?.string
        let values = Set((requirement["values"]?.array ?? []).compactMap(\.int))
        let operation = requirement["operator"]?.string
        for list in ["containerStatuses", "initContainerStatuses"] {
            for status in pod["status", list]?.array ?? [] {
                guard let code = status["state", "terminated", "exitCode"]?.int, code != 0,
                      name == nil || status["name"]?.string == name else { continue }
                let matches = operation == "In" ? values.contains(code) : operation == "NotIn" ? !values.contains(code) : false
                if matches { return (status["name"]?.string ?? "", code) }
            }
        }
        return nil
    }

    /// The type of the first Pod condition that one of `patterns` (type and status) matches.
    static func matchingCondition(_ pod: JSON, _ patterns: [JSON]) -> String? {
        for condition in pod["status", "conditions"]?.array ?? [] {
            for pattern in patterns where pattern["type"] == condition["type"] && pattern["status"] == condition["status"] {
                return condition["type"]?.string
            }
        }
        return nil
    }
}
