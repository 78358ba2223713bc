import SkiffModel

/// One port of one Service as the proxy programs it (kube-proxy's `ServicePortName` plus what it
/// needs of the Service's spec).
public struct ServicePort: Sendable, Hashable {
    /// `namespace/name:port-name`, or `namespace/name` for an unnamed port (kube-proxy's
    /// `ServicePortName.String()`); the rules' comments and the chain hashes use it.
    public var name: String
    /// "TCP", "UDP" or "SCTP".
    public var `protocol`: String
    public var clusterIP: String
    public var port: Int
    /// The node port of a NodePort or LoadBalancer Service.
    public var nodePort: Int?
    /// `spec.externalIPs` and the load balancer's `status.loadBalancer.ingress[].ip` (IPv4),
    /// where the port is served as on the cluster IP.
    public var externalIPs: [String] = []
    /// `sessionAffinity: ClientIP`'s timeout in seconds; nil without affinity.
    public var affinitySeconds: Int?
    /// The port's ready endpoints, in address order.
    public var endpoints: [Endpoint]

    /// The lower-case protocol iptables takes (`-p tcp -m tcp`).
    var iptablesProtocol: String { `protocol`.lowercased() }
}

/// An endpoint of a Service port: an IPv4 address and a port.
public struct Endpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var ip: String
    public var port: Int

    public var description: String { "\(ip):\(port)" }

    public static func < (a: Endpoint, b: Endpoint) -> Bool {
        let x = Self.octets(a.ip), y = Self.octets(b.ip)
        return x != y ? x.lexicographicallyPrecedes(y) : a.port < b.port
    }

    static func octets(_ ip: String) -> [Int] { ip.split(separator: ".").map { Int($0) ?? 0 } }
}

extension ServicePort {
    static let protocols: Set<String> = ["TCP", "UDP", "SCTP"]
    static let defaultAffinitySeconds = 10800

    /// The ports of every Service that has an IPv4 cluster IP, with their ready endpoints from the
    /// Service's EndpointSlices (label `kubernetes.io/service-name`, `addressType: IPv4`).
    /// ExternalName and headless Services have no ports here. An endpoint counts when its
    /// `conditions.ready` is not false (a missing value means ready, as the API documents); it
    /// serves the slice port with the Service port's name and protocol; one address per
    /// endpoint (the first, as kube-proxy). Sorted by name and protocol.
    public static func from(services: [JSON], slices: [JSON]) -> [ServicePort] {
        var slicesByService: [String: [JSON]] = [:]
        for slice in slices where slice["addressType"]?.string == "IPv4" {
            guard let service = slice["metadata", "labels", "kubernetes.io/service-name"]?.string else { continue }
            let ns = slice["metadata", "namespace"]?.string ?? "default"
            slicesByService[ns + "/" + service, default: []].append(slice)
        }
        var out: [ServicePort] = []
        for service in services {
            let ns = service["metadata", "namespace"]?.string ?? "default"
            guard let svcName = service["metadata", "name"]?.string else { continue }
            let spec = service["spec"] ?? .null
            if spec["type"]?.string == "ExternalName" { continue }
            guard let clusterIP = spec["clusterIP"]?.string, clusterIP != "None", isIPv4(clusterIP) else { continue }
            var affinity: Int?
            if spec["sessionAffinity"]?.string == "ClientIP" {
                affinity = spec["sessionAffinityConfig", "clientIP", "timeoutSeconds"]?.int.map(Int.init) ?? defaultAffinitySeconds
            }
            let mySlices = slicesByService[ns + "/" + svcName] ?? []
            var external = (spec["externalIPs"]?.array ?? []).compactMap(\.string)
            external += (service["status", "loadBalancer", "ingress"]?.array ?? []).compactMap { $0["ip"]?.string }
            external = external.filter(isIPv4).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
            for p in spec["ports"]?.array ?? [] {
                guard let port = p["port"]?.int else { continue }
                let proto = p["protocol"]?.string ?? "TCP"
                guard protocols.contains(proto) else { continue }
                let portName = p["name"]?.string ?? ""
                let name = ns + "/" + svcName + (portName.isEmpty ? "" : ":" + portName)
                var endpoints: Set<Endpoint> = []
                for slice in mySlices {
                    guard let sp = (slice["ports"]?.array ?? []).first(where: {
                        ($0["name"]?.string ?? "") == portName && ($0["protocol"]?.string ?? "TCP") == proto
                    }), let target = sp["port"]?.int else { continue }
                    for e in slice["endpoints"]?.array ?? [] where e["conditions", "ready"]?.bool != false {
                        guard let ip = e["addresses"]?.array?.first?.string, isIPv4(ip) else { continue }
                        endpoints.insert(Endpoint(ip: ip, port: Int(target)))
                    }
                }
                out.append(ServicePort(name: name, protocol: proto, clusterIP: clusterIP, port: Int(port),
                                       nodePort: p["nodePort"]?.int.map(Int.init), externalIPs: external, affinitySeconds: affinity,
                                       endpoints: endpoints.sorted()))
            }
        }
        return out.sorted { ($0.name, $0.protocol) < ($1.name, $1.protocol) }
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
