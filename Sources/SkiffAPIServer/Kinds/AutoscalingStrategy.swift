import SkiffModel

/// autoscaling/v2 HorizontalPodAutoscaler (stored), also served as autoscaling/v1 by conversion.
struct HorizontalPodAutoscalerStrategy: StatusSubresourceStrategy {
    func applyDefaults(_ object: inout JSON) {
        var spec = object["spec"] ?? [:]
        if spec["minReplicas"] == nil { spec["minReplicas"] = 1 }
        if (spec["metrics"]?.array ?? []).isEmpty {
            spec["metrics"] = [Self.cpuMetric(80)]
        }
        var behavior = spec["behavior"] ?? [:]
        if behavior["scaleUp"] == nil {
            behavior["scaleUp"] = ["stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                                   "policies": [["type": "Pods", "value": 4, "periodSeconds": 15], ["type": "Percent", "value": 100, "periodSeconds": 15]]]
        }
        if behavior["scaleDown"] == nil {
            behavior["scaleDown"] = ["stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                                     "policies": [["type": "Percent", "value": 100, "periodSeconds": 15]]]
        }
        spec["behavior"] = behavior
        object["spec"] = spec
    }

    static func cpuMetric(_ percent: Int64) -> JSON {
        ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": .int(percent)]]]
    }

    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? [:]
        let min = spec["minReplicas"]?.int ?? 1
        let max = spec["maxReplicas"]?.int ?? 0
        if min < 1 { errors.append(.invalid("spec.minReplicas", .int(min), "must be greater than or equal to 1")) }
        if max < 1 { errors.append(.invalid("spec.maxReplicas", .int(max), "must be greater than 0")) }
        if max >= 1 && max < min { errors.append(.invalid("spec.maxReplicas", .int(max), "must be greater than or equal to `minReplicas`")) }
        if (spec["scaleTargetRef", "kind"]?.string ?? "").isEmpty { errors.append(.required("spec.scaleTargetRef.kind")) }
        if (spec["scaleTargetRef", "name"]?.string ?? "").isEmpty { errors.append(.required("spec.scaleTargetRef.name")) }
        return errors
    }

    var columns: [TableColumn] {
        [.name, TableColumn("Reference", description: "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count."),
         TableColumn("Targets", description: "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used)."),
         TableColumn("MinPods", description: "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
         TableColumn("MaxPods", "integer", description: "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
         TableColumn("Replicas", "integer", description: "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler."),
         .age]
    }

    func cells(_ o: JSON) -> [JSON] {
        let ref = "\(o["spec", "scaleTargetRef", "kind"]?.string ?? "")/\(o["spec", "scaleTargetRef", "name"]?.string ?? "")"
        let current = o["status", "currentMetrics"]?.array ?? []
        let targets = (o["spec", "metrics"]?.array ?? []).enumerated().map { i, m -> String in
            guard m["type"] == "Resource", let name = m["resource", "name"]?.string else { return "<unknown>" }
            let target = m["resource", "target"] ?? [:]
            let want = target["averageUtilization"]?.int.map { "\($0)%" } ?? target["averageValue"]?.string ?? target["value"]?.string ?? "<unknown>"
            let have = i < current.count ? (current[i]["resource", "current", "averageUtilization"]?.int.map { "\($0)%" } ?? "<unknown>") : "<unknown>"
            return "\(name): \(have)/\(want)"
        }
        return [o["metadata", "name"] ?? "", .string(ref), .string(targets.isEmpty ? "<none>" : targets.joined(separator: ", ")),
                .string(String(o["spec", "minReplicas"]?.int ?? 1)), .int(o["spec", "maxReplicas"]?.int ?? 0),
                .int(o["status", "currentReplicas"]?.int ?? 0), .string(Timestamp.age(of: o))]
    }

    /// autoscaling/v1: `targetCPUUtilizationPercentage` instead of `metrics`.
    static let v1 = VersionConversion(
        version: "v1",
        toStorage: { v1 in
            var o = v1
            o["apiVersion"] = "autoscaling/v2"
            if let percent = v1["spec", "targetCPUUtilizationPercentage"]?.int {
                o["spec", "metrics"] = [cpuMetric(percent)]
            }
            o["spec", "targetCPUUtilizationPercentage"] = nil
            if let cpu = v1["status", "currentCPUUtilizationPercentage"]?.int {
                o["status", "currentMetrics"] = [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": .int(cpu)]]]]
            }
            o["status", "currentCPUUtilizationPercentage"] = nil
            return o
        },
        fromStorage: { v2 in
            var o = v2
            o["apiVersion"] = "autoscaling/v1"
            let cpu = (v2["spec", "metrics"]?.array ?? []).first { $0["type"] == "Resource" && $0["resource", "name"] == "cpu" }
            o["spec", "metrics"] = nil
            o["spec", "behavior"] = nil
            if let percent = cpu?["resource", "target", "averageUtilization"] { o["spec", "targetCPUUtilizationPercentage"] = percent }
            let current = (v2["status", "currentMetrics"]?.array ?? []).first { $0["resource", "name"] == "cpu" }
            o["status", "currentMetrics"] = nil
            o["status", "conditions"] = nil
            if let c = current?["resource", "current", "averageUtilization"] { o["status", "currentCPUUtilizationPercentage"] = c }
            return o
        })
}
