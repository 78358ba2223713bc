import SkiffModel

/// StatefulSet and DaemonSet defaults and validation (pkg/apis/apps/v1/defaults.go,
/// pkg/apis/apps/validation), and the DaemonSet template generation
/// (`deprecated.daemonset.template.generation`, raised by the API server when the template changes).
extension WorkloadStrategy {
    static let templateGenerationAnnotation = "deprecated.daemonset.template.generation"

    static func applyStatefulSetDefaults(_ spec: inout JSON) {
        if spec["podManagementPolicy"] == nil { spec["podManagementPolicy"] = "OrderedReady" }
        if spec["updateStrategy", "type"] == nil { spec["updateStrategy", "type"] = "RollingUpdate" }
        if spec["updateStrategy", "type"]?.string == "RollingUpdate", spec["updateStrategy", "rollingUpdate", "partition"] == nil {
            spec["updateStrategy", "rollingUpdate", "partition"] = 0
        }
        if spec["revisionHistoryLimit"] == nil { spec["revisionHistoryLimit"] = 10 }
        for field in ["whenDeleted", "whenScaled"] where spec["persistentVolumeClaimRetentionPolicy", field] == nil {
            spec["persistentVolumeClaimRetentionPolicy", field] = "Retain"
        }
        if var claims = spec["volumeClaimTemplates"]?.array {
            for i in claims.indices {
                if claims[i]["spec", "volumeMode"] == nil { claims[i]["spec", "volumeMode"] = "Filesystem" }
                if claims[i]["apiVersion"] == nil { claims[i]["apiVersion"] = "v1" }
                if claims[i]["kind"] == nil { claims[i]["kind"] = "PersistentVolumeClaim" }
                if claims[i]["status", "phase"] == nil { claims[i]["status", "phase"] = "Pending" }
            }
            spec["volumeClaimTemplates"] = .array(claims)
        }
    }

    static func applyDaemonSetDefaults(_ spec: inout JSON) {
        if spec["updateStrategy", "type"] == nil { spec["updateStrategy", "type"] = "RollingUpdate" }
        if spec["updateStrategy", "type"]?.string == "RollingUpdate" {
            if spec["updateStrategy", "rollingUpdate", "maxUnavailable"] == nil { spec["updateStrategy", "rollingUpdate", "maxUnavailable"] = 1 }
            if spec["updateStrategy", "rollingUpdate", "maxSurge"] == nil { spec["updateStrategy", "rollingUpdate", "maxSurge"] = 0 }
        }
        if spec["revisionHistoryLimit"] == nil { spec["revisionHistoryLimit"] = 10 }
    }

    static func validateStatefulSetSpec(_ spec: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        // Optional, but it becomes the Pods' subdomain (kubernetes#130233).
        if let service = spec["serviceName"]?.string, !service.isEmpty {
            for message in NameValidation.dns1123Label(service) { errors.append(.invalid("spec.serviceName", .string(service), message)) }
        }
        let policy = spec["podManagementPolicy"]?.string ?? ""
        if !["OrderedReady", "Parallel"].contains(policy) {
            errors.append(.notSupported("spec.podManagementPolicy", .string(policy), ["OrderedReady", "Parallel"]))
        }
        let type = spec["updateStrategy", "type"]?.string ?? ""
        switch type {
        case "OnDelete":
            if let r = spec["updateStrategy", "rollingUpdate"], !r.isNull {
                errors.append(.invalid("spec.updateStrategy.rollingUpdate", r, "only allowed for updateStrategy 'RollingUpdate'"))
            }
        case "RollingUpdate":
            if let p = spec["updateStrategy", "rollingUpdate", "partition"]?.int, p < 0 {
                errors.append(.invalid("spec.updateStrategy.rollingUpdate.partition", .int(p), "must be greater than or equal to 0"))
            }
        default:
            errors.append(.notSupported("spec.updateStrategy.type", .string(type), ["OnDelete", "RollingUpdate"]))
        }
        for field in ["revisionHistoryLimit", "minReadySeconds"] {
            if let n = spec[field]?.int, n < 0 { errors.append(.invalid("spec.\(field)", .int(n), "must be greater than or equal to 0")) }
        }
        if let n = spec["ordinals", "start"]?.int, n < 0 {
            errors.append(.invalid("spec.ordinals.start", .int(n), "must be greater than or equal to 0"))
        }
        for field in ["whenDeleted", "whenScaled"] {
            let value = spec["persistentVolumeClaimRetentionPolicy", field]?.string ?? ""
            if !["Retain", "Delete"].contains(value) {
                errors.append(.notSupported("spec.persistentVolumeClaimRetentionPolicy.\(field)", .string(value), ["Retain", "Delete"]))
            }
        }
        for (i, claim) in (spec["volumeClaimTemplates"]?.array ?? []).enumerated() {
            if (claim["metadata", "name"]?.string ?? "").isEmpty {
                errors.append(.required("spec.volumeClaimTemplates[\(i)].metadata.name", "name or generateName is required"))
            }
            if (claim["spec", "accessModes"]?.array ?? []).isEmpty {
                errors.append(.required("spec.volumeClaimTemplates[\(i)].spec.accessModes", "at least 1 access mode is required"))
            }
            if claim["spec", "resources", "requests", "storage"] == nil {
                errors.append(.required("spec.volumeClaimTemplates[\(i)].spec.resources[storage]", ""))
            }
        }
        return errors
    }

    /// Only replicas, ordinals, template, updateStrategy, revisionHistoryLimit,
    /// persistentVolumeClaimRetentionPolicy and minReadySeconds may change.
    static func validateStatefulSetUpdate(_ object: JSON, old: JSON) -> [FieldError] {
        let mutable = ["replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                       "persistentVolumeClaimRetentionPolicy", "minReadySeconds"]
        var a = object["spec"] ?? [:], b = old["spec"] ?? [:]
        for field in mutable {
            a[field] = nil
            b[field] = nil
        }
        if a != b {
            return [.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")]
        }
        return []
    }

    static func validateDaemonSetSpec(_ spec: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let type = spec["updateStrategy", "type"]?.string ?? ""
        switch type {
        case "OnDelete":
            break
        case "RollingUpdate":
            let field = "spec.updateStrategy.rollingUpdate"
            let unavailable = spec["updateStrategy", "rollingUpdate", "maxUnavailable"]
            let surge = spec["updateStrategy", "rollingUpdate", "maxSurge"]
            for (name, value) in [("maxUnavailable", unavailable), ("maxSurge", surge)] {
                if let error = intOrPercentError(value, field: "\(field).\(name)") { errors.append(error) }
            }
            if !isZero(unavailable) && !isZero(surge) {
                errors.append(.invalid("\(field).maxSurge", surge ?? 0, "may not be set when maxUnavailable is non-zero"))
            } else if isZero(unavailable) && isZero(surge) {
                errors.append(.required("\(field).maxUnavailable", "cannot be 0 when maxSurge is 0"))
            }
        default:
            errors.append(.notSupported("spec.updateStrategy.type", .string(type), ["OnDelete", "RollingUpdate"]))
        }
        for field in ["revisionHistoryLimit", "minReadySeconds"] {
            if let n = spec[field]?.int, n < 0 { errors.append(.invalid("spec.\(field)", .int(n), "must be greater than or equal to 0")) }
        }
        return errors
    }

    static func isZero(_ value: JSON?) -> Bool {
        switch value {
        case .int(let n)?: return n == 0
        case .string(let s)?: return s == "0%" || s == "0"
        default: return true
        }
    }

    static func intOrPercentError(_ value: JSON?, field: String) -> FieldError? {
        switch value {
        case .int(let n)? where n < 0:
            return .invalid(field, .int(n), "must be greater than or equal to 0")
        case .string(let s)?:
            guard s.hasSuffix("%"), let p = Int(s.dropLast()) else {
                return .invalid(field, .string(s), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")
            }
            if p > 100 { return .invalid(field, .string(s), "must not be greater than 100%") }
            return nil
        default:
            return nil
        }
    }

    static func initTemplateGeneration(_ object: inout JSON) {
        let current = object["metadata", "annotations", templateGenerationAnnotation]?.string.flatMap { Int64($0) } ?? 0
        if current < 1 { object["metadata", "annotations", templateGenerationAnnotation] = "1" }
    }

    /// The old generation, one more when the template changed; a client may not set it.
    static func carryTemplateGeneration(_ object: inout JSON, old: JSON) {
        var generation = old["metadata", "annotations", templateGenerationAnnotation]?.string.flatMap { Int64($0) } ?? 1
        if object["spec", "template"] != old["spec", "template"] { generation += 1 }
        object["metadata", "annotations", templateGenerationAnnotation] = .string(String(generation))
    }
}
