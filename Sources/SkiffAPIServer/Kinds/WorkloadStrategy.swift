import SkiffModel

/// apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet: a selector that must match the
/// template's labels and may not change, Pod template defaults, status as a subresource.
struct WorkloadStrategy: StatusSubresourceStrategy {
    enum Kind { case deployment, replicaSet, statefulSet, daemonSet }
    let kind: Kind

    func applyDefaults(_ object: inout JSON) {
        var spec = object["spec"] ?? [:]
        if kind != .daemonSet, spec["replicas"] == nil { spec["replicas"] = 1 }
        var podSpec = spec["template", "spec"] ?? [:]
        PodSpecRules.applyDefaults(&podSpec)
        if spec["template"] != nil { spec["template", "spec"] = podSpec }
        switch kind {
        case .deployment:
            if spec["strategy"] == nil { spec["strategy"] = ["type": "RollingUpdate"] }
            if spec["strategy", "type"]?.string == "RollingUpdate" {
                if spec["strategy", "rollingUpdate", "maxUnavailable"] == nil { spec["strategy", "rollingUpdate", "maxUnavailable"] = "25%" }
                if spec["strategy", "rollingUpdate", "maxSurge"] == nil { spec["strategy", "rollingUpdate", "maxSurge"] = "25%" }
            }
            if spec["revisionHistoryLimit"] == nil { spec["revisionHistoryLimit"] = 10 }
            if spec["progressDeadlineSeconds"] == nil { spec["progressDeadlineSeconds"] = 600 }
        case .statefulSet:
            Self.applyStatefulSetDefaults(&spec)
        case .daemonSet:
            Self.applyDaemonSetDefaults(&spec)
        case .replicaSet:
            break
        }
        object["spec"] = spec
    }

    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? [:]
        if let r = spec["replicas"]?.int, r < 0 {
            errors.append(.invalid("spec.replicas", .int(r), "must be greater than or equal to 0"))
        }
        guard let selector = spec["selector"], selector != .null else {
            errors.append(.required("spec.selector"))
            return errors + PodSpecRules.validate(spec["template", "spec"], field: "spec.template.spec")
        }
        let labels = spec["template", "metadata", "labels"]?.stringMap ?? [:]
        switch LabelSelector.from(selector) {
        case .success(let s):
            if s.isEverything {
                errors.append(.invalid("spec.selector", selector, "empty selector is invalid for \(kind == .statefulSet ? "statefulset" : kind == .daemonSet ? "daemonset" : "deployment")"))
            } else if !s.matches(labels) {
                errors.append(.invalid("spec.template.metadata.labels", .init(labels), "`selector` does not match template `labels`"))
            }
        case .failure(let e):
            errors += e.errors.map { FieldError($0.type, "spec.selector." + $0.field, value: $0.value, $0.detail) }
        }
        errors += PodSpecRules.validate(spec["template", "spec"], field: "spec.template.spec")
        if kind == .statefulSet { errors += Self.validateStatefulSetSpec(spec) }
        if kind == .daemonSet { errors += Self.validateDaemonSetSpec(spec) }
        if kind == .statefulSet || kind == .deployment || kind == .daemonSet,
           let policy = spec["template", "spec", "restartPolicy"]?.string, policy != "Always" {
            errors.append(.notSupported("spec.template.spec.restartPolicy", .string(policy), ["Always"]))
        }
        return errors
    }

    func validateUpdate(_ object: JSON, old: JSON) -> [FieldError] {
        let selector = object["spec", "selector"] ?? .null
        if selector != (old["spec", "selector"] ?? .null) {
            return [.invalid("spec.selector", selector, "field is immutable")]
        }
        if kind == .statefulSet { return Self.validateStatefulSetUpdate(object, old: old) }
        return []
    }

    func prepareForCreate(_ object: inout JSON) {
        object["status"] = nil
        if kind == .daemonSet { Self.initTemplateGeneration(&object) }
    }

    func prepareForUpdate(_ object: inout JSON, old: JSON) {
        object["status"] = old["status"]
        if kind == .daemonSet { Self.carryTemplateGeneration(&object, old: old) }
    }

    func selectableFields(_ object: JSON) -> [String: String] {
        kind == .replicaSet ? ["status.replicas": String(object["status", "replicas"]?.int ?? 0)] : [:]
    }

    var columns: [TableColumn] {
        switch kind {
        case .deployment:
            return [.name, TableColumn("Ready", description: "Number of the pod with ready state"),
                    TableColumn("Up-to-date", "integer", description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
                    TableColumn("Available", "integer", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
                    .age] + Self.wideColumns
        case .replicaSet:
            return [.name, TableColumn("Desired", "integer", description: "Replicas is the number of desired replicas."),
                    TableColumn("Current", "integer", description: "Replicas is the most recently observed number of replicas."),
                    TableColumn("Ready", "integer", description: "The number of ready replicas for this replica set."),
                    .age] + Self.wideColumns
        case .statefulSet:
            return [.name, TableColumn("Ready", description: "Number of the pod with ready state"), .age,
                    TableColumn("Containers", priority: 1, description: "Names of each container in the template."),
                    TableColumn("Images", priority: 1, description: "Images referenced by each container in the template.")]
        case .daemonSet:
            return [.name, TableColumn("Desired", "integer", description: "The total number of nodes that should be running the daemon pod."),
                    TableColumn("Current", "integer", description: "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
                    TableColumn("Ready", "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
                    TableColumn("Up-to-date", "integer", description: "The total number of nodes that are running updated daemon pod"),
                    TableColumn("Available", "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available"),
                    TableColumn("Node Selector", description: "NodeSelector is a selector which must be true for the pod to fit on a node."),
                    .age] + Self.wideColumns
        }
    }

    static let wideColumns = [
        TableColumn("Containers", priority: 1, description: "Names of each container in the template."),
        TableColumn("Images", priority: 1, description: "Images referenced by each container in the template."),
        TableColumn("Selector", priority: 1, description: "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
    ]

    func cells(_ o: JSON) -> [JSON] {
        let status = o["status"] ?? [:]
        func n(_ k: String) -> Int64 { status[k]?.int ?? 0 }
        let desired = o["spec", "replicas"]?.int ?? 0
        let containers = o["spec", "template", "spec", "containers"]?.array ?? []
        let names = JSON.string(containers.compactMap { $0["name"]?.string }.joined(separator: ","))
        let images = JSON.string(containers.compactMap { $0["image"]?.string }.joined(separator: ","))
        let selector = JSON.string(LabelSelector.from(o["spec", "selector"] ?? .null).map { $0.description }.get(or: "<none>"))
        let age = JSON.string(Timestamp.age(of: o))
        switch kind {
        case .deployment:
            return [o["metadata", "name"] ?? "", .string("\(n("readyReplicas"))/\(desired)"), .int(n("updatedReplicas")), .int(n("availableReplicas")), age, names, images, selector]
        case .replicaSet:
            return [o["metadata", "name"] ?? "", .int(desired), .int(n("replicas")), .int(n("readyReplicas")), age, names, images, selector]
        case .statefulSet:
            return [o["metadata", "name"] ?? "", .string("\(n("readyReplicas"))/\(desired)"), age, names, images]
        case .daemonSet:
            let nodeSelector = (o["spec", "template", "spec", "nodeSelector"]?.stringMap ?? [:]).sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            return [o["metadata", "name"] ?? "", .int(n("desiredNumberScheduled")), .int(n("currentNumberScheduled")), .int(n("numberReady")),
                    .int(n("updatedNumberScheduled")), .int(n("numberAvailable")), .string(nodeSelector.isEmpty ? "<none>" : nodeSelector),
                    age, names, images, selector]
        }
    }
}

extension Result {
    func get(or fallback: Success) -> Success { (try? get()) ?? fallback }
}

/// apps/v1beta1 Deployments, served for manifests written before apps/v1: the selector defaults
/// to the template's labels.
enum DeploymentV1Beta1 {
    static let conversion = VersionConversion(
        version: "v1beta1",
        warning: "apps/v1beta1 Deployment is deprecated in v1.9+, unavailable in v1.16+; use apps/v1 Deployment",
        toStorage: { input in
            var o = input
            if o["spec", "selector"] == nil, let labels = o["spec", "template", "metadata", "labels"], labels != .null {
                o["spec", "selector"] = ["matchLabels": labels]
            }
            if o["spec", "revisionHistoryLimit"] == nil { o["spec", "revisionHistoryLimit"] = 2 }
            o["apiVersion"] = "apps/v1"
            return o
        },
        fromStorage: { stored in
            var o = stored
            o["apiVersion"] = "apps/v1beta1"
            return o
        })
}
