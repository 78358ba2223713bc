import SkiffModel

/// core/v1 Pod: defaults, an immutable spec (but for the fields Kubernetes lets change), status
/// as a subresource, graceful deletion once bound to a node, and kubectl's columns.
struct PodStrategy: Strategy {
    func applyDefaults(_ object: inout JSON) {
        var spec = object["spec"] ?? [:]
        PodSpecRules.applyDefaults(&spec)
        if spec["serviceAccountName"] == nil { spec["serviceAccountName"] = "default" }
        spec["serviceAccount"] = spec["serviceAccountName"]
        if spec["priority"] == nil { spec["priority"] = 0 }
        object["spec"] = spec
    }

    func prepareForCreate(_ object: inout JSON) {
        var spec = object["spec"] ?? [:]
        // DefaultTolerationSeconds admission (on create only): not-ready and unreachable (NoExecute,
        // 300 s) each, unless a toleration already covers it (same or empty key and effect).
        var tolerations = spec["tolerations"]?.array ?? []
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
            let covered = tolerations.contains { t in
                let k = t["key"]?.string ?? "", e = t["effect"]?.string ?? ""
                return (k == key || k.isEmpty) && (e == "NoExecute" || e.isEmpty)
            }
            if !covered { tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300]) }
        }
        spec["tolerations"] = .array(tolerations)
        object["spec"] = spec
        object["status"] = ["phase": "Pending", "qosClass": .string(Self.qosClass(object["spec"] ?? [:]))]
    }

    func prepareForUpdate(_ object: inout JSON, old: JSON) { object["status"] = old["status"] }

    func validate(_ object: JSON) -> [FieldError] { PodSpecRules.validate(object["spec"], field: "spec") }

    static let mutableFieldsMessage = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

    func validateUpdate(_ object: JSON, old: JSON) -> [FieldError] {
        var new = object["spec"] ?? [:]
        let before = old["spec"] ?? [:]
        // Blank out what may change, then the rest must be equal.
        for list in ["containers", "initContainers"] {
            guard var items = new[list]?.array, let oldItems = before[list]?.array, items.count == oldItems.count else { continue }
            for i in items.indices { items[i]["image"] = oldItems[i]["image"] }
            new[list] = .array(items)
        }
        new["activeDeadlineSeconds"] = before["activeDeadlineSeconds"]
        let oldTolerations = before["tolerations"]?.array ?? []
        if let tolerations = new["tolerations"]?.array, oldTolerations.allSatisfy(tolerations.contains) {
            new["tolerations"] = before["tolerations"]
        }
        if (before["terminationGracePeriodSeconds"]?.int ?? 0) < 0, new["terminationGracePeriodSeconds"]?.int == 1 {
            new["terminationGracePeriodSeconds"] = before["terminationGracePeriodSeconds"]
        }
        if new["nodeName"] == nil, before["nodeName"] != nil { new["nodeName"] = before["nodeName"] }
        if new != before { return [.forbidden("spec", Self.mutableFieldsMessage)] }
        return []
    }

    func selectableFields(_ object: JSON) -> [String: String] {
        [
            "spec.nodeName": object["spec", "nodeName"]?.string ?? "",
            "spec.restartPolicy": object["spec", "restartPolicy"]?.string ?? "",
            "spec.schedulerName": object["spec", "schedulerName"]?.string ?? "",
            "spec.serviceAccountName": object["spec", "serviceAccountName"]?.string ?? "",
            "spec.hostNetwork": object["spec", "hostNetwork"]?.bool == true ? "true" : "false",
            "status.phase": object["status", "phase"]?.string ?? "",
            "status.podIP": object["status", "podIP"]?.string ?? "",
            "status.nominatedNodeName": object["status", "nominatedNodeName"]?.string ?? "",
        ]
    }

    func gracePeriod(for object: JSON, requested: Int64?) -> Int64 {
        let phase = object["status", "phase"]?.string
        if (object["spec", "nodeName"]?.string ?? "").isEmpty || phase == "Succeeded" || phase == "Failed" { return 0 }
        return requested ?? object["spec", "terminationGracePeriodSeconds"]?.int ?? 30
    }

    var returnsDeletedObject: Bool { true }

    var columns: [TableColumn] {
        [.name, TableColumn("Ready", description: "The aggregate readiness state of this pod for accepting traffic."),
         TableColumn("Status", description: "The aggregate status of the containers in this pod."),
         TableColumn("Restarts", description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
         .age,
         TableColumn("IP", priority: 1, description: "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
         TableColumn("Node", priority: 1, description: "NodeName is a request to schedule this pod onto a specific node."),
         TableColumn("Nominated Node", priority: 1, description: "nominatedNodeName is set only when this pod preempts other pods on the node."),
         TableColumn("Readiness Gates", priority: 1, description: "If specified, all readiness gates will be evaluated for pod readiness.")]
    }

    func cells(_ pod: JSON) -> [JSON] {
        let statuses = pod["status", "containerStatuses"]?.array ?? []
        let total = pod["spec", "containers"]?.array?.count ?? 0
        let ready = statuses.filter { $0["ready"]?.bool == true }.count
        let restarts = statuses.reduce(Int64(0)) { $0 + ($1["restartCount"]?.int ?? 0) }
        let gates = pod["spec", "readinessGates"]?.array ?? []
        return [pod["metadata", "name"] ?? "", .string("\(ready)/\(total)"), .string(Self.displayStatus(pod)), .int(restarts), .string(Timestamp.age(of: pod)),
                .string(pod["status", "podIP"]?.string ?? "<none>"), .string(pod["spec", "nodeName"]?.string ?? "<none>"),
                .string(pod["status", "nominatedNodeName"]?.string ?? "<none>"),
                .string(gates.isEmpty ? "<none>" : "0/\(gates.count)")]
    }

    /// The STATUS column as kubectl computes it: the pod's reason, an init or container state, or Terminating.
    static func displayStatus(_ pod: JSON) -> String {
        var reason = pod["status", "reason"]?.string ?? pod["status", "phase"]?.string ?? "Pending"
        let inits = pod["status", "initContainerStatuses"]?.array ?? []
        let initCount = pod["spec", "initContainers"]?.array?.count ?? 0
        var initializing = false
        for (i, s) in inits.enumerated() {
            if let code = s["state", "terminated", "exitCode"]?.int, code == 0 { continue }
            initializing = true
            if let t = s["state", "terminated"] {
                reason = t["reason"]?.string.map { "Init:\($0)" } ?? "Init:ExitCode:\(t["exitCode"]?.int ?? 0)"
            } else if let w = s["state", "waiting", "reason"]?.string, w != "PodInitializing" {
                reason = "Init:\(w)"
            } else {
                reason = "Init:\(i)/\(initCount)"
            }
            break
        }
        if !initializing {
            for s in (pod["status", "containerStatuses"]?.array ?? []).reversed() {
                if let w = s["state", "waiting", "reason"]?.string, !w.isEmpty {
                    reason = w
                } else if let t = s["state", "terminated"] {
                    reason = t["reason"]?.string ?? (t["signal"]?.int.map { "Signal:\($0)" } ?? "ExitCode:\(t["exitCode"]?.int ?? 0)")
                }
            }
        }
        if pod["metadata", "deletionTimestamp"] != nil {
            reason = pod["status", "reason"]?.string == "NodeLost" ? "Unknown" : "Terminating"
        }
        return reason
    }

    /// The QoS class: Guaranteed when every container's limits equal its requests for cpu and
    /// memory, BestEffort when none sets any, Burstable otherwise.
    static func qosClass(_ spec: JSON) -> String {
        let containers = (spec["containers"]?.array ?? []) + (spec["initContainers"]?.array ?? [])
        var any = false
        var guaranteed = true
        for c in containers {
            let requests = c["resources", "requests"]?.members ?? [:]
            let limits = c["resources", "limits"]?.members ?? [:]
            if !requests.isEmpty || !limits.isEmpty { any = true }
            for r in ["cpu", "memory"] {
                guard let l = limits[r] else { guaranteed = false; continue }
                if let q = requests[r], q != l { guaranteed = false }
            }
        }
        if !any { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }
}
