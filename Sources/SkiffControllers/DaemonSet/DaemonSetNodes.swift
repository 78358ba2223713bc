import SkiffModel

/// Which nodes a DaemonSet runs on, and the Pod it puts there (daemon_controller.go
/// `NodeShouldRunDaemonPod`, daemon/util).
enum DaemonSetNodes {
    static let generationAnnotation = "deprecated.daemonset.template.generation"
    static let generationLabel = "pod-template-generation"

    /// The tolerations every daemon Pod gets (AddOrUpdateDaemonPodTolerations): it keeps running
    /// on not-ready and unreachable nodes, and is placed despite pressure and cordoning.
    static func defaultTolerations(hostNetwork: Bool) -> [JSON] {
        var out: [JSON] = [
            ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"],
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"],
            ["key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"],
            ["key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"],
            ["key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"],
            ["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"],
        ]
        if hostNetwork { out.append(["key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"]) }
        return out
    }

    /// The template's tolerations with the defaults added (an existing toleration with the same
    /// key, operator and effect is replaced).
    static func tolerations(_ podSpec: JSON) -> [JSON] {
        var out = podSpec["tolerations"]?.array ?? []
        for t in defaultTolerations(hostNetwork: podSpec["hostNetwork"]?.bool == true) {
            out.removeAll { $0["key"] == t["key"] && $0["effect"] == t["effect"] && ($0["operator"]?.string ?? "Equal") == t["operator"]?.string }
            out.append(t)
        }
        return out
    }

    /// The node affinity that pins a Pod to `node` (ReplaceDaemonSetPodNodeNameNodeAffinity):
    /// the required terms become one `matchFields: metadata.name In [node]`.
    static func pinnedAffinity(_ affinity: JSON?, node: String) -> JSON {
        var a = affinity ?? [:]
        if a.isNull { a = [:] }
        a["nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"] =
            ["nodeSelectorTerms": [["matchFields": [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]]]]
        return a
    }

    /// The node a daemon Pod is for: `spec.nodeName`, else its `metadata.name` node affinity (GetTargetNodeName).
    static func targetNode(_ pod: JSON) -> String? {
        if let name = pod["spec", "nodeName"]?.string, !name.isEmpty { return name }
        let terms = pod["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]?.array ?? []
        for term in terms {
            for field in term["matchFields"]?.array ?? [] where field["key"]?.string == "metadata.name" && field["operator"]?.string == "In" {
                if let values = field["values"]?.array, values.count == 1 { return values[0].string }
            }
        }
        return nil
    }

    /// Whether the daemon Pod should be placed on `node`, and whether one already there may stay.
    static func shouldRun(_ ds: JSON, on node: JSON) -> (run: Bool, continueRunning: Bool) {
        let spec = ds["spec", "template", "spec"] ?? [:]
        let name = node.objectName
        if let nodeName = spec["nodeName"]?.string, !nodeName.isEmpty, nodeName != name { return (false, false) }
        let labels = node.objectLabels
        for (k, v) in spec["nodeSelector"]?.stringMap ?? [:] where labels[k] != v { return (false, false) }
        if let required = spec["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"], !required.isNull,
           !matches(required, labels: labels, name: name) { return (false, false) }
        let tolerations = tolerations(spec)
        let untolerated = (node["spec", "taints"]?.array ?? []).filter { taint in
            let effect = taint["effect"]?.string
            return (effect == "NoSchedule" || effect == "NoExecute") && !tolerations.contains { tolerates($0, taint) }
        }
        if untolerated.isEmpty { return (true, true) }
        return (false, !untolerated.contains { $0["effect"]?.string == "NoExecute" })
    }

    /// Whether a required node selector (terms ORed, requirements ANDed) matches the node.
    static func matches(_ selector: JSON, labels: [String: String], name: String) -> Bool {
        (selector["nodeSelectorTerms"]?.array ?? []).contains { term in
            let expressions = term["matchExpressions"]?.array ?? [], fields = term["matchFields"]?.array ?? []
            if expressions.isEmpty && fields.isEmpty { return false }
            for e in expressions { guard let r = requirement(e), r.matches(labels) else { return false } }
            for f in fields {
                guard f["key"]?.string == "metadata.name", let r = requirement(f), r.matches(["metadata.name": name]) else { return false }
            }
            return true
        }
    }

    static func requirement(_ e: JSON) -> LabelSelector.Requirement? {
        let key = e["key"]?.string ?? ""
        let values = (e["values"]?.array ?? []).compactMap(\.string)
        switch e["operator"]?.string ?? "" {
        case "In": return values.isEmpty ? nil : .init(key: key, op: .in, values: values)
        case "NotIn": return values.isEmpty ? nil : .init(key: key, op: .notIn, values: values)
        case "Exists": return .init(key: key, op: .exists)
        case "DoesNotExist": return .init(key: key, op: .doesNotExist)
        case "Gt": return values.count == 1 && Int64(values[0]) != nil ? .init(key: key, op: .greaterThan, values: values) : nil
        case "Lt": return values.count == 1 && Int64(values[0]) != nil ? .init(key: key, op: .lessThan, values: values) : nil
        default: return nil
        }
    }

    /// v1 Toleration.ToleratesTaint.
    static func tolerates(_ toleration: JSON, _ taint: JSON) -> Bool {
        if let effect = toleration["effect"]?.string, !effect.isEmpty, effect != taint["effect"]?.string { return false }
        let key = toleration["key"]?.string ?? ""
        if !key.isEmpty && key != taint["key"]?.string { return false }
        switch toleration["operator"]?.string ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return !key.isEmpty && (toleration["value"]?.string ?? "") == (taint["value"]?.string ?? "")
        default: return false
        }
    }

    /// The template generation the API server records in the DaemonSet's annotation.
    static func templateGeneration(_ ds: JSON) -> String? { ds.objectAnnotations[generationAnnotation] }

    /// Whether the Pod is of the DaemonSet's current template (IsPodUpdated).
    static func isUpdated(_ pod: JSON, hash: String, generation: String?) -> Bool {
        let labels = pod.objectLabels
        return (!hash.isEmpty && labels[ControllerHistory.podRevisionLabel] == hash)
            || (generation != nil && labels[generationLabel] == generation)
    }

    /// The Pod for `node` (CreatePodTemplate plus the node affinity): the template with the
    /// default tolerations, the revision hash and template generation labels, named `<ds>-<random>`.
    static func pod(_ ds: JSON, node: String, hash: String) -> JSON {
        let template = ds["spec", "template"] ?? [:]
        var meta: JSON = ["generateName": .string(ds.objectName + "-"), "namespace": .string(ds.objectNamespace),
                          "ownerReferences": [JSON.controllerReference(to: ds, apiVersion: "apps/v1", kind: "DaemonSet")]]
        for field in ["annotations", "finalizers"] {
            if let value = template["metadata", field], !value.isNull { meta[field] = value }
        }
        var labels = template["metadata", "labels"]?.stringMap ?? [:]
        labels[ControllerHistory.podRevisionLabel] = hash
        if let generation = templateGeneration(ds) { labels[generationLabel] = generation }
        meta["labels"] = JSON(labels)
        var spec = template["spec"] ?? [:]
        spec["tolerations"] = .array(tolerations(spec))
        spec["affinity"] = pinnedAffinity(spec["affinity"], node: node)
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec]
    }
}
