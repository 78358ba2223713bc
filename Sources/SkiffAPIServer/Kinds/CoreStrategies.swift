import Foundation
import SkiffModel

/// core/v1 Namespace: a DNS-1123 label name, `kubernetes` finalizer, phase Active until deleted.
struct NamespaceStrategy: Strategy {
    func validateName(_ name: String) -> [String] { NameValidation.dns1123Label(name) }

    func applyDefaults(_ object: inout JSON) {
        var labels = object["metadata", "labels"]?.members ?? [:]
        labels["kubernetes.io/metadata.name"] = object["metadata", "name"]
        object["metadata", "labels"] = .object(labels)
    }

    func prepareForCreate(_ object: inout JSON) {
        object["spec"] = ["finalizers": ["kubernetes"]]
        object["status"] = ["phase": "Active"]
    }

    func prepareForUpdate(_ object: inout JSON, old: JSON) {
        object["spec"] = old["spec"]
        object["status"] = old["status"]
    }

    func selectableFields(_ object: JSON) -> [String: String] {
        ["status.phase": object["status", "phase"]?.string ?? ""]
    }

    /// The namespace controller empties the namespace, then clears `spec.finalizers` (`finalize`).
    func awaitsFinalization(_ object: JSON) -> Bool {
        !(object["spec", "finalizers"]?.array ?? []).isEmpty
    }

    func prepareForDeletion(_ object: inout JSON) {
        object["status", "phase"] = "Terminating"
    }

    var columns: [TableColumn] {
        [.name, TableColumn("Status", description: "The status of the namespace"), .age]
    }

    func cells(_ o: JSON) -> [JSON] {
        [o["metadata", "name"] ?? "", .string(o["status", "phase"]?.string ?? ""), .string(Timestamp.age(of: o))]
    }
}

/// core/v1 ConfigMap: keys must be valid config keys; DATA column.
struct ConfigMapStrategy: Strategy {
    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        var seen = Set<String>()
        for field in ["data", "binaryData"] {
            for key in (object[field]?.members ?? [:]).keys.sorted() {
                for msg in NameValidation.configMapKey(key) { errors.append(.invalid("\(field)[\(key)]", .string(key), msg)) }
                if !seen.insert(key).inserted {
                    errors.append(.invalid("data[\(key)]", .string(key), "duplicate of key present in binaryData"))
                }
            }
        }
        if let data = object["binaryData"]?.members {
            for (key, value) in data where Data(base64Encoded: value.string ?? "") == nil {
                errors.append(.invalid("binaryData[\(key)]", "<value omitted>", "illegal base64 data"))
            }
        }
        return errors
    }

    func validateUpdate(_ object: JSON, old: JSON) -> [FieldError] {
        guard old["immutable"]?.bool == true else { return [] }
        if object["data"] != old["data"] || object["binaryData"] != old["binaryData"] || object["immutable"] != old["immutable"] {
            return [.forbidden("data", "field is immutable when `immutable` is set")]
        }
        return []
    }

    var columns: [TableColumn] {
        [.name, TableColumn("Data", "integer", description: "Data contains the configuration data."), .age]
    }

    func cells(_ o: JSON) -> [JSON] {
        [o["metadata", "name"] ?? "", .int(Int64((o["data"]?.members.count ?? 0) + (o["binaryData"]?.members.count ?? 0))), .string(Timestamp.age(of: o))]
    }
}

/// core/v1 Secret: `type` defaults to Opaque and may not change; data values are base64;
/// `stringData` is merged into `data` on write, as the API server does.
struct SecretStrategy: Strategy {
    func applyDefaults(_ object: inout JSON) {
        if object["type"] == nil || object["type"] == "" { object["type"] = "Opaque" }
        if let stringData = object["stringData"]?.members {
            var data = object["data"]?.members ?? [:]
            for (k, v) in stringData { data[k] = .string(Data((v.string ?? "").utf8).base64EncodedString()) }
            object["data"] = .object(data)
            object["stringData"] = nil
        }
    }

    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        var total = 0
        for (key, value) in (object["data"]?.members ?? [:]).sorted(by: { $0.key < $1.key }) {
            for msg in NameValidation.configMapKey(key) { errors.append(.invalid("data[\(key)]", .string(key), msg)) }
            guard let s = value.string, let decoded = Data(base64Encoded: s) else {
                errors.append(.invalid("data[\(key)]", "<secret contents redacted>", "illegal base64 data"))
                continue
            }
            total += decoded.count
        }
        if total > 1024 * 1024 { errors.append(FieldError(.tooLong, "data", "must have at most 1048576 bytes")) }
        if object["type"]?.string == "kubernetes.io/service-account-token",
           (object["metadata", "annotations", "kubernetes.io/service-account.name"]?.string ?? "").isEmpty {
            errors.append(.required("metadata.annotations[kubernetes.io/service-account.name]"))
        }
        return errors
    }

    func validateUpdate(_ object: JSON, old: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        if object["type"] != old["type"] { errors.append(.invalid("type", object["type"] ?? "", "field is immutable")) }
        if old["immutable"]?.bool == true, object["data"] != old["data"] || object["immutable"] != old["immutable"] {
            errors.append(.forbidden("data", "field is immutable when `immutable` is set"))
        }
        return errors
    }

    func selectableFields(_ object: JSON) -> [String: String] { ["type": object["type"]?.string ?? ""] }

    var columns: [TableColumn] {
        [.name, TableColumn("Type", description: "The type of the secret"),
         TableColumn("Data", "integer", description: "The number of entries in the secret"), .age]
    }

    func cells(_ o: JSON) -> [JSON] {
        [o["metadata", "name"] ?? "", .string(o["type"]?.string ?? ""), .int(Int64(o["data"]?.members.count ?? 0)), .string(Timestamp.age(of: o))]
    }
}

/// core/v1 ServiceAccount.
struct ServiceAccountStrategy: Strategy {
    var columns: [TableColumn] {
        [.name, TableColumn("Secrets", "integer", description: "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), .age]
    }

    func cells(_ o: JSON) -> [JSON] { [o["metadata", "name"] ?? "", .int(Int64(o["secrets"]?.array?.count ?? 0)), .string(Timestamp.age(of: o))] }
}

/// core/v1 Node: cluster-scoped, status as a subresource, STATUS/ROLES/VERSION columns.
struct NodeStrategy: StatusSubresourceStrategy {
    var tracksGeneration: Bool { false }

    func selectableFields(_ object: JSON) -> [String: String] {
        ["spec.unschedulable": object["spec", "unschedulable"]?.bool == true ? "true" : "false"]
    }

    var columns: [TableColumn] {
        [.name, TableColumn("Status", description: "The status of the node"), TableColumn("Roles", description: "The roles of the node"),
         .age, TableColumn("Version", description: "Kubelet Version reported by the node."),
         TableColumn("Internal-IP", priority: 1, description: "List of internal IPs."),
         TableColumn("External-IP", priority: 1, description: "List of external IPs."),
         TableColumn("OS-Image", priority: 1, description: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
         TableColumn("Kernel-Version", priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
         TableColumn("Container-Runtime", priority: 1, description: "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).")]
    }

    func cells(_ o: JSON) -> [JSON] {
        let ready = (o["status", "conditions"]?.array ?? []).first { $0["type"] == "Ready" }
        var status = ready?["status"]?.string == "True" ? "Ready" : (ready == nil ? "Unknown" : "NotReady")
        if o["spec", "unschedulable"]?.bool == true { status += ",SchedulingDisabled" }
        let roles = (o["metadata", "labels"]?.members ?? [:]).keys.compactMap { k -> String? in
            k.hasPrefix("node-role.kubernetes.io/") ? String(k.dropFirst("node-role.kubernetes.io/".count)) : nil
        }.sorted()
        let addresses = o["status", "addresses"]?.array ?? []
        func address(_ t: String) -> String { addresses.first { $0["type"]?.string == t }?["address"]?.string ?? "<none>" }
        let info = o["status", "nodeInfo"] ?? [:]
        return [o["metadata", "name"] ?? "", .string(status), .string(roles.isEmpty ? "<none>" : roles.joined(separator: ",")), .string(Timestamp.age(of: o)),
                .string(info["kubeletVersion"]?.string ?? ""), .string(address("InternalIP")), .string(address("ExternalIP")),
                .string(info["osImage"]?.string ?? "<unknown>"), .string(info["kernelVersion"]?.string ?? "<unknown>"),
                .string(info["containerRuntimeVersion"]?.string ?? "<unknown>")]
    }
}

/// core/v1 Event: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE.
struct EventStrategy: Strategy {
    var allowsCreateOnUpdate: Bool { true }

    func selectableFields(_ o: JSON) -> [String: String] {
        var f: [String: String] = [:]
        for k in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
            f["involvedObject.\(k)"] = o["involvedObject", k]?.string ?? ""
        }
        f["reason"] = o["reason"]?.string ?? ""
        f["reportingComponent"] = o["reportingComponent"]?.string ?? ""
        f["source"] = o["source", "component"]?.string ?? ""
        f["type"] = o["type"]?.string ?? ""
        return f
    }

    var columns: [TableColumn] {
        [TableColumn("Last Seen", description: "Time when last event occurred"), TableColumn("Type", description: "Type of this event (Normal, Warning), new types could be added in the future."),
         TableColumn("Reason", description: "Reason why this event was generated. Should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
         TableColumn("Object", description: "The object that this event is about."),
         TableColumn("Message", description: "A human-readable description of the status of this operation."),
         TableColumn("Name", format: "name", priority: 1, description: "Name must be unique within a namespace.")]
    }

    func cells(_ o: JSON) -> [JSON] {
        let last = o["lastTimestamp"]?.string ?? o["eventTime"]?.string ?? o["metadata", "creationTimestamp"]?.string
        let seen = last.flatMap(Timestamp.parse).map { Timestamp.humanDuration(Timestamp.now() - $0) } ?? "<unknown>"
        let obj = "\((o["involvedObject", "kind"]?.string ?? "").lowercased())/\(o["involvedObject", "name"]?.string ?? "")"
        return [.string(seen), .string(o["type"]?.string ?? ""), .string(o["reason"]?.string ?? ""), .string(obj),
                .string(o["message"]?.string ?? ""), o["metadata", "name"] ?? ""]
    }
}
