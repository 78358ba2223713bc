import SkiffModel

/// Kinds whose `kubectl get` shows a few plain columns read from the object.
struct ColumnsStrategy: Strategy {
    /// Column and how to read its cell.
    let extra: [(TableColumn, @Sendable (JSON) -> JSON)]
    let hasStatus: Bool

    init(status: Bool = false, _ extra: [(TableColumn, @Sendable (JSON) -> JSON)]) {
        self.extra = extra
        self.hasStatus = status
    }

    func prepareForCreate(_ object: inout JSON) { if hasStatus { object["status"] = nil } }
    func prepareForUpdate(_ object: inout JSON, old: JSON) { if hasStatus { object["status"] = old["status"] } }
    var tracksGeneration: Bool { hasStatus }

    var columns: [TableColumn] { [.name] + extra.map(\.0) + [.age] }

    func cells(_ o: JSON) -> [JSON] {
        [o["metadata", "name"] ?? ""] + extra.map { $0.1(o) } + [.string(Timestamp.age(of: o))]
    }

    static func text(_ path: String...) -> @Sendable (JSON) -> JSON {
        { o in .string(o[path: path[...]]?.string ?? "<none>") }
    }

    static let createdAt = ColumnsStrategy([])
}

extension ColumnsStrategy {
    static let persistentVolume = ColumnsStrategy(status: true, [
        col(TableColumn("Capacity"), { o in .string(o["spec", "capacity", "storage"]?.string ?? "") }),
        col(TableColumn("Access Modes"), { o in .string(accessModes(o["spec", "accessModes"])) }),
        col(TableColumn("Reclaim Policy"), text("spec", "persistentVolumeReclaimPolicy")),
        col(TableColumn("Status"), text("status", "phase")),
        col(TableColumn("Claim"), { o in
            guard let name = o["spec", "claimRef", "name"]?.string else { return "" }
            return .string("\(o["spec", "claimRef", "namespace"]?.string ?? "")/\(name)")
        }),
        col(TableColumn("StorageClass"), { o in .string(o["spec", "storageClassName"]?.string ?? "") }),
        col(TableColumn("VolumeAttributesClass"), { _ in "<unset>" }),
        col(TableColumn("Reason"), { o in .string(o["status", "reason"]?.string ?? "") }),
    ])

    static let persistentVolumeClaim = ColumnsStrategy(status: true, [
        col(TableColumn("Status"), text("status", "phase")),
        col(TableColumn("Volume"), { o in .string(o["spec", "volumeName"]?.string ?? "") }),
        col(TableColumn("Capacity"), { o in .string(o["status", "capacity", "storage"]?.string ?? "") }),
        col(TableColumn("Access Modes"), { o in .string(accessModes(o["status", "accessModes"])) }),
        col(TableColumn("StorageClass"), { o in .string(o["spec", "storageClassName"]?.string ?? "") }),
        col(TableColumn("VolumeAttributesClass"), { _ in "<unset>" }),
    ])

    static let storageClass = ColumnsStrategy([
        col(TableColumn("Provisioner"), text("provisioner")),
        col(TableColumn("ReclaimPolicy"), { o in .string(o["reclaimPolicy"]?.string ?? "Delete") }),
        col(TableColumn("VolumeBindingMode"), { o in .string(o["volumeBindingMode"]?.string ?? "Immediate") }),
        col(TableColumn("AllowVolumeExpansion", "boolean"), { o in .bool(o["allowVolumeExpansion"]?.bool ?? false) }),
    ])

    static let priorityClass = ColumnsStrategy([
        col(TableColumn("Value", "integer"), { o in .int(o["value"]?.int ?? 0) }),
        col(TableColumn("Global-Default", "boolean"), { o in .bool(o["globalDefault"]?.bool ?? false) }),
    ])

    static let lease = ColumnsStrategy([col(TableColumn("Holder"), { o in .string(o["spec", "holderIdentity"]?.string ?? "") })])

    static let endpointSlice = ColumnsStrategy([
        col(TableColumn("AddressType"), text("addressType")),
        col(TableColumn("Ports"), { o in
            let ports = (o["ports"]?.array ?? []).compactMap { $0["port"]?.int.map(String.init) }
            return .string(ports.isEmpty ? "<unset>" : ports.joined(separator: ","))
        }),
        col(TableColumn("Endpoints"), { o in
            let addresses = (o["endpoints"]?.array ?? []).flatMap { ($0["addresses"]?.array ?? []).compactMap(\.string) }
            return .string(addresses.isEmpty ? "<unset>" : addresses.prefix(3).joined(separator: ",") + (addresses.count > 3 ? " + \(addresses.count - 3) more..." : ""))
        }),
    ])

    static let podDisruptionBudget = ColumnsStrategy(status: true, [
        col(TableColumn("Min Available"), { o in .string(o["spec", "minAvailable"].map(intOrString) ?? "N/A") }),
        col(TableColumn("Max Unavailable"), { o in .string(o["spec", "maxUnavailable"].map(intOrString) ?? "N/A") }),
        col(TableColumn("Allowed Disruptions", "integer"), { o in .int(o["status", "disruptionsAllowed"]?.int ?? 0) }),
    ])

    static let ingress = ColumnsStrategy(status: true, [
        col(TableColumn("Class"), { o in .string(o["spec", "ingressClassName"]?.string ?? "<none>") }),
        col(TableColumn("Hosts"), { o in
            let hosts = (o["spec", "rules"]?.array ?? []).compactMap { $0["host"]?.string }
            return .string(hosts.isEmpty ? "*" : hosts.joined(separator: ","))
        }),
        col(TableColumn("Address"), { o in
            .string((o["status", "loadBalancer", "ingress"]?.array ?? []).compactMap { $0["ip"]?.string ?? $0["hostname"]?.string }.joined(separator: ","))
        }),
        col(TableColumn("Ports"), { o in .string(o["spec", "tls"] != nil ? "80, 443" : "80") }),
    ])

    static let networkPolicy = ColumnsStrategy([
        col(TableColumn("Pod-Selector"), { o in
            .string(LabelSelector.from(o["spec", "podSelector"] ?? [:]).map(\.description).get(or: "").nilIfEmpty ?? "<none>")
        }),
    ])

    static let resourceQuota = ColumnsStrategy(status: true, [
        col(TableColumn("Request"), { o in .string(quotaUsage(o, limits: false)) }),
        col(TableColumn("Limit"), { o in .string(quotaUsage(o, limits: true)) }),
    ])

    static let controllerRevision = ColumnsStrategy([
        col(TableColumn("Controller"), { o in
            guard let owner = (o["metadata", "ownerReferences"]?.array ?? []).first(where: { $0["controller"]?.bool == true }) else { return "<none>" }
            let group = (owner["apiVersion"]?.string ?? "").split(separator: "/").dropLast().first.map { ".\($0)" } ?? ""
            return .string("\((owner["kind"]?.string ?? "").lowercased())\(group)/\(owner["name"]?.string ?? "")")
        }),
        col(TableColumn("Revision", "integer"), { o in .int(o["revision"]?.int ?? 0) }),
    ])

    static let roleBinding = ColumnsStrategy([
        col(TableColumn("Role"), { o in .string("\(o["roleRef", "kind"]?.string ?? "")/\(o["roleRef", "name"]?.string ?? "")") }),
    ])

    static func accessModes(_ modes: JSON?) -> String {
        let short = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        return (modes?.array ?? []).compactMap { $0.string.flatMap { short[$0] } }.joined(separator: ",")
    }

    static func intOrString(_ v: JSON) -> String { v.string ?? v.int.map(String.init) ?? "N/A" }

    static func quotaUsage(_ o: JSON, limits: Bool) -> String {
        let hard = o["status", "hard"]?.members ?? o["spec", "hard"]?.members ?? [:]
        let used = o["status", "used"]?.members ?? [:]
        return hard.keys.sorted().filter { $0.hasPrefix("limits.") == limits }.map { k in
            "\(k): \(used[k]?.string ?? "0")/\(hard[k]?.string ?? "")"
        }.joined(separator: ", ")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

/// Kinds `kubectl get` shows with a name and a CREATED AT timestamp (RBAC roles, LimitRange).
struct CreatedAtStrategy: Strategy {
    var columns: [TableColumn] {
        [.name, TableColumn("Created At", format: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")]
    }

    func cells(_ o: JSON) -> [JSON] { [o["metadata", "name"] ?? "", o["metadata", "creationTimestamp"] ?? ""] }
}

/// A column with the function that reads its cell.
func col(_ column: TableColumn, _ cell: @escaping @Sendable (JSON) -> JSON) -> (TableColumn, @Sendable (JSON) -> JSON) {
    (column, cell)
}

/// Roles, ClusterRoles and their bindings: named with any path segment (`system:discovery`), as
/// kube-apiserver's `ValidateRBACName` allows; their table is `table`'s.
struct RBACStrategy: Strategy {
    let table: any Strategy

    var columns: [TableColumn] { table.columns }
    func cells(_ o: JSON) -> [JSON] { table.cells(o) }
    func validateName(_ name: String) -> [String] { [] }
}
