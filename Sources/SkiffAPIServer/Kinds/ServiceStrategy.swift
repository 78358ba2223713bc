import SkiffModel

/// core/v1 Service: port and type defaults, TYPE/CLUSTER-IP/EXTERNAL-IP/PORT(S) columns.
struct ServiceStrategy: Strategy {
    func validateName(_ name: String) -> [String] { NameValidation.dns1035Label(name) }

    func applyDefaults(_ object: inout JSON) {
        var spec = object["spec"] ?? [:]
        if spec["type"] == nil { spec["type"] = "ClusterIP" }
        if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
        if spec["internalTrafficPolicy"] == nil && spec["type"] != "ExternalName" { spec["internalTrafficPolicy"] = "Cluster" }
        if let ports = spec["ports"]?.array {
            spec["ports"] = .array(ports.map { p in
                var p = p
                if p["protocol"] == nil { p["protocol"] = "TCP" }
                if p["targetPort"] == nil, let port = p["port"] { p["targetPort"] = port }
                return p
            })
        }
        object["spec"] = spec
    }

    func prepareForCreate(_ object: inout JSON) { object["status"] = ["loadBalancer": [:]] }

    /// A cluster IP (unless headless or ExternalName) and node ports for NodePort and LoadBalancer.
    func allocate(_ object: inout JSON, _ allocators: Allocators) async throws(APIError) {
        let name = object["metadata", "name"]?.string ?? ""
        let owner = "\(object["metadata", "namespace"]?.string ?? "")/\(name)"
        let type = object["spec", "type"]?.string ?? "ClusterIP"
        var done: [(Allocator, String)] = []
        func fail(_ field: String, _ value: JSON, _ message: String) async -> APIError {
            for (a, v) in done { await a.release(v, in: allocators.backend) }
            return .invalid(kind: "Service", name: name, [.invalid(field, value, message)])
        }
        if type != "ExternalName", object["spec", "clusterIP"]?.string != "None" {
            let requested = object["spec", "clusterIP"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            do {
                let ip = try await allocators.serviceIPs.allocate(requested, in: allocators.backend, owner: owner)
                done.append((allocators.serviceIPs, ip))
                object["spec", "clusterIP"] = .string(ip)
                object["spec", "clusterIPs"] = [.string(ip)]
            } catch {
                let value: JSON = .array([.string(requested ?? "")])
                switch error {
                case .outOfRange:
                    throw await fail("spec.clusterIPs", value, "failed to allocate IP \(requested ?? ""): the provided IP (\(requested ?? "")) is not in the valid range. The range of valid IPs is \(allocators.serviceCIDR)")
                case .taken:
                    throw await fail("spec.clusterIPs", value, "failed to allocate IP \(requested ?? ""): provided IP is already allocated")
                default:
                    throw await fail("spec.clusterIPs", value, "failed to allocate IP: range is full")
                }
            }
        } else if object["spec", "clusterIP"]?.string == "None" {
            object["spec", "clusterIPs"] = ["None"]
        }
        if type != "ExternalName" {
            object["spec", "ipFamilies"] = ["IPv4"]
            object["spec", "ipFamilyPolicy"] = "SingleStack"
        }
        guard type == "NodePort" || type == "LoadBalancer", var ports = object["spec", "ports"]?.array else { return }
        for i in ports.indices {
            let requested = ports[i]["nodePort"]?.int.map(String.init)
            do {
                let port = try await allocators.nodePorts.allocate(requested, in: allocators.backend, owner: owner)
                done.append((allocators.nodePorts, port))
                ports[i]["nodePort"] = .int(Int64(port) ?? 0)
            } catch {
                let value = JSON.int(Int64(requested ?? "0") ?? 0)
                switch error {
                case .outOfRange: throw await fail("spec.ports[\(i)].nodePort", value, "provided port is not in the valid range. The range of valid ports is 30000-32767")
                case .taken: throw await fail("spec.ports[\(i)].nodePort", value, "provided port is already allocated")
                default: throw await fail("spec.ports[\(i)].nodePort", value, "range is full")
                }
            }
        }
        object["spec", "ports"] = .array(ports)
        if object["spec", "externalTrafficPolicy"] == nil { object["spec", "externalTrafficPolicy"] = "Cluster" }
    }

    func release(_ object: JSON, _ allocators: Allocators) async {
        if let ip = object["spec", "clusterIP"]?.string { await allocators.serviceIPs.release(ip, in: allocators.backend) }
        for p in object["spec", "ports"]?.array ?? [] {
            if let port = p["nodePort"]?.int { await allocators.nodePorts.release(String(port), in: allocators.backend) }
        }
    }
    func prepareForUpdate(_ object: inout JSON, old: JSON) { object["status"] = old["status"] }

    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        let type = object["spec", "type"]?.string ?? "ClusterIP"
        let supported = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
        if !supported.contains(type) { errors.append(.notSupported("spec.type", .string(type), supported)) }
        let ports = object["spec", "ports"]?.array ?? []
        if ports.isEmpty && type != "ExternalName" && object["spec", "clusterIP"] != "None" {
            errors.append(.required("spec.ports"))
        }
        for (i, p) in ports.enumerated() {
            let port = p["port"]?.int ?? 0
            if port < 1 || port > 65535 { errors.append(.invalid("spec.ports[\(i)].port", .int(port), "must be between 1 and 65535, inclusive")) }
            if ports.count > 1, (p["name"]?.string ?? "").isEmpty { errors.append(.required("spec.ports[\(i)].name")) }
        }
        return errors
    }

    func validateUpdate(_ object: JSON, old: JSON) -> [FieldError] {
        if let ip = old["spec", "clusterIP"]?.string, !ip.isEmpty, object["spec", "clusterIP"]?.string != ip {
            return [.invalid("spec.clusterIPs[0]", object["spec", "clusterIP"] ?? "", "may not change once set")]
        }
        return []
    }

    var columns: [TableColumn] {
        [.name, TableColumn("Type", description: "The type of the service"),
         TableColumn("Cluster-IP", description: "The cluster IP of the service"),
         TableColumn("External-IP", description: "The external IP of the service"),
         TableColumn("Port(s)", description: "The ports of the service"), .age,
         TableColumn("Selector", priority: 1, description: "Route service traffic to pods with label keys and values matching this selector.")]
    }

    func cells(_ o: JSON) -> [JSON] {
        let spec = o["spec"] ?? [:]
        let type = spec["type"]?.string ?? "ClusterIP"
        var external = (spec["externalIPs"]?.array ?? []).compactMap(\.string)
        if type == "LoadBalancer" {
            external += (o["status", "loadBalancer", "ingress"]?.array ?? []).compactMap { $0["ip"]?.string ?? $0["hostname"]?.string }
        }
        let externalText = type == "ExternalName" ? (spec["externalName"]?.string ?? "") :
            (external.isEmpty ? (type == "LoadBalancer" ? "<pending>" : "<none>") : external.joined(separator: ","))
        let ports = (spec["ports"]?.array ?? []).map { p -> String in
            let base = "\(p["port"]?.int ?? 0)"
            let node = p["nodePort"]?.int.map { ":\($0)" } ?? ""
            return base + node + "/" + (p["protocol"]?.string ?? "TCP")
        }
        let selector = (spec["selector"]?.stringMap ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return [o["metadata", "name"] ?? "", .string(type), .string(spec["clusterIP"]?.string ?? "<none>"), .string(externalText),
                .string(ports.isEmpty ? "<none>" : ports.joined(separator: ",")), .string(Timestamp.age(of: o)),
                .string(selector.isEmpty ? "<none>" : selector)]
    }
}

/// core/v1 Endpoints: ENDPOINTS column.
struct EndpointsStrategy: Strategy {
    var allowsCreateOnUpdate: Bool { true }

    var columns: [TableColumn] {
        [.name, TableColumn("Endpoints", description: "Endpoints is the list of endpoints in the subset."), .age]
    }

    func cells(_ o: JSON) -> [JSON] {
        var list: [String] = []
        for subset in o["subsets"]?.array ?? [] {
            let ports = (subset["ports"]?.array ?? []).compactMap { $0["port"]?.int }
            for a in subset["addresses"]?.array ?? [] {
                let ip = a["ip"]?.string ?? ""
                if ports.isEmpty { list.append(ip) } else { list += ports.map { "\(ip):\($0)" } }
            }
        }
        let shown = list.prefix(3).joined(separator: ",") + (list.count > 3 ? " + \(list.count - 3) more..." : "")
        return [o["metadata", "name"] ?? "", .string(list.isEmpty ? "<none>" : shown), .string(Timestamp.age(of: o))]
    }
}
