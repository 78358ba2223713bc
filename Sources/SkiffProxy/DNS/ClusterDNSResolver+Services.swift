import SkiffModel

extension ClusterDNSResolver {
    /// A ready endpoint: its DNS name label (hostname, or the dashed address) and addresses.
    struct Endpoint {
        var label: String
        var hasHostname: Bool
        var addresses: [[UInt8]]
    }

    /// `[<endpoint>.|_<port>._<proto>.]<svc>.<ns>.svc.<zone>`; `labels` end with the namespace.
    func lookupService(_ labels: [String], fqdn: String, type: DNSRecordType) -> Lookup {
        switch labels.count {
        case 0: return Lookup(exists: true)
        case 1: return Lookup(exists: !source.services(namespace: labels[0]).isEmpty)
        default: break
        }
        let namespace = labels[labels.count - 1], name = labels[labels.count - 2]
        guard let service = source.service(namespace: namespace, name: name) else { return Lookup(exists: false) }
        let serviceName = "\(name).\(namespace).svc.\(zone)"
        let prefix = Array(labels.dropLast(2))
        switch prefix.count {
        case 0: return serviceRecords(service, name: serviceName, type: type)
        case 1 where prefix[0].hasPrefix("_"):
            // `_tcp.<svc>...`: an empty non-terminal when a port uses that protocol.
            let proto = prefix[0].dropFirst()
            return Lookup(exists: ports(service, name: name, namespace: namespace).contains { $0.proto == proto })
        case 1:
            let matching = endpoints(name: name, namespace: namespace).filter { $0.label == prefix[0] }
            guard !matching.isEmpty else { return Lookup(exists: false) }
            return Lookup(answers: addressRecords(fqdn, matching.flatMap(\.addresses), type: type), exists: true)
        case 2 where prefix[0].hasPrefix("_") && prefix[1].hasPrefix("_"):
            let portName = String(prefix[0].dropFirst()), proto = String(prefix[1].dropFirst())
            let named = ports(service, name: name, namespace: namespace).filter { $0.name == portName && $0.proto == proto && !$0.name.isEmpty }
            guard !named.isEmpty else { return Lookup(exists: false) }
            guard type == .srv || type == .any else { return Lookup(exists: true) }
            return srvRecords(service, fqdn: fqdn, serviceName: serviceName, ports: named.map { $0.port }, name: name, namespace: namespace)
        default:
            return Lookup(exists: false)
        }
    }

    /// The records at the Service's own name.
    func serviceRecords(_ service: JSON, name: String, type: DNSRecordType) -> Lookup {
        let spec = service["spec"]
        if spec?["type"]?.string == "ExternalName" {
            guard let target = spec?["externalName"]?.string, !target.isEmpty else { return Lookup(exists: false) }
            return Lookup(answers: [record(name, .cname(target.lowercased().trimmingDots()))], exists: true)
        }
        let svcName = service["metadata", "name"]?.string ?? "", namespace = service["metadata", "namespace"]?.string ?? ""
        if type == .srv {
            let all = ports(service, name: svcName, namespace: namespace).map { $0.port }
            return srvRecords(service, fqdn: name, serviceName: name, ports: all, name: svcName, namespace: namespace)
        }
        if isHeadless(service) {
            let ready = endpoints(name: svcName, namespace: namespace)
            guard !ready.isEmpty else { return Lookup(exists: false) }
            var seen = Set<[UInt8]>()
            let addresses = ready.flatMap(\.addresses).filter { seen.insert($0).inserted }
            return Lookup(answers: addressRecords(name, addresses, type: type), exists: true)
        }
        return Lookup(answers: addressRecords(name, clusterIPs(service), type: type), exists: true)
    }

    /// SRV records for `ports` at `fqdn`: one per port with the Service as target, or for a
    /// headless Service one per ready endpoint and port, each weighted equally.
    func srvRecords(_ service: JSON, fqdn: String, serviceName: String, ports: [Int], name: String, namespace: String) -> Lookup {
        var found = Lookup(exists: true)
        if isHeadless(service) {
            let ready = endpoints(name: name, namespace: namespace)
            let weight = UInt16(max(1, 100 / max(1, ready.count)))
            for port in ports {
                for e in ready {
                    let target = "\(e.label).\(serviceName)"
                    found.answers.append(record(fqdn, .srv(priority: 0, weight: weight, port: UInt16(clamping: port), target: target)))
                }
            }
            for e in ready { found.additionals += addressRecords("\(e.label).\(serviceName)", e.addresses, type: .any) }
        } else {
            let weight = UInt16(100 / max(1, ports.count))
            for port in ports {
                found.answers.append(record(fqdn, .srv(priority: 0, weight: weight, port: UInt16(clamping: port), target: serviceName)))
            }
            if !ports.isEmpty { found.additionals = addressRecords(serviceName, clusterIPs(service), type: .any) }
        }
        return found
    }

    func isHeadless(_ service: JSON) -> Bool { service["spec", "clusterIP"]?.string == "None" }

    func clusterIPs(_ service: JSON) -> [[UInt8]] {
        serviceClusterIPs(service).compactMap(IPAddressBytes.parse)
    }

    /// The ports DNS names: the Service's for a ClusterIP Service, the EndpointSlices' for a headless one.
    func ports(_ service: JSON, name: String, namespace: String) -> [(name: String, proto: String, port: Int)] {
        func parse(_ p: JSON) -> (name: String, proto: String, port: Int)? {
            guard let port = p["port"]?.int else { return nil }
            return ((p["name"]?.string ?? "").lowercased(), (p["protocol"]?.string ?? "TCP").lowercased(), Int(port))
        }
        if isHeadless(service) {
            var seen = Set<String>()
            return source.endpointSlices(namespace: namespace, service: name)
                .flatMap { ($0["ports"]?.array ?? []).compactMap(parse) }
                .filter { seen.insert("\($0.name)/\($0.proto)/\($0.port)").inserted }
        }
        return (service["spec", "ports"]?.array ?? []).compactMap(parse)
    }

    /// The Service's ready endpoints across its EndpointSlices, by label.
    func endpoints(name: String, namespace: String) -> [Endpoint] {
        var byLabel: [String: Endpoint] = [:]
        for slice in source.endpointSlices(namespace: namespace, service: name) {
            for e in slice["endpoints"]?.array ?? [] where e["conditions", "ready"]?.bool ?? true {
                let addresses = (e["addresses"]?.array ?? []).compactMap(\.string)
                guard let first = addresses.first else { continue }
                let hostname = e["hostname"]?.string.flatMap { $0.isEmpty ? nil : $0.lowercased() }
                let label = hostname ?? IPAddressBytes.dashed(first)
                var entry = byLabel[label] ?? Endpoint(label: label, hasHostname: hostname != nil, addresses: [])
                for a in addresses.compactMap(IPAddressBytes.parse) where !entry.addresses.contains(a) { entry.addresses.append(a) }
                byLabel[label] = entry
            }
        }
        return byLabel.keys.sorted().compactMap { byLabel[$0] }
    }

    /// The names a PTR query for `address` answers with: Services whose ClusterIP it is, and
    /// ready endpoints with a hostname at that address (of headless Services), found through the
    /// source's address indexes.
    func reverse(_ address: [UInt8]) -> [String] {
        let text = IPAddressBytes.format(address)
        var names: [String] = []
        for service in source.services(clusterIP: text) where !isHeadless(service) {
            guard let name = service["metadata", "name"]?.string, let ns = service["metadata", "namespace"]?.string else { continue }
            names.append("\(name).\(ns).svc.\(zone)")
        }
        var seen = Set<String>()
        for slice in source.endpointSlices(address: text) {
            guard let ns = slice["metadata", "namespace"]?.string,
                  let name = slice["metadata", "labels", "kubernetes.io/service-name"]?.string,
                  seen.insert("\(ns)/\(name)").inserted,
                  let service = source.service(namespace: ns, name: name), isHeadless(service) else { continue }
            for e in endpoints(name: name, namespace: ns) where e.hasHostname && e.addresses.contains(address) {
                names.append("\(e.label).\(name).\(ns).svc.\(zone)")
            }
        }
        return names
    }
}
