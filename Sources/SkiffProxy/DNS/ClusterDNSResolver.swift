import SkiffModel

/// Answers queries for the cluster zone from Services and EndpointSlices, as CoreDNS's
/// `kubernetes` plugin does under Kubernetes' DNS specification (schema 1.1.0):
///
/// - `<svc>.<ns>.svc.<zone>` A/AAAA: the ClusterIPs; for a headless Service the ready endpoints'
///   addresses (NXDOMAIN while it has none); for an ExternalName Service a CNAME.
/// - `<hostname>.<svc>.<ns>.svc.<zone>`: a ready endpoint named by its `hostname` (StatefulSet
///   Pods), or by its dashed address (`10-42-0-5`) when it has none.
/// - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV for each named port (the Service name as target,
///   or each ready endpoint's name for a headless Service), target addresses as additionals.
/// - `<a-b-c-d>.<ns>.pod.<zone>` A (CoreDNS's `pods insecure`: the address in the name).
/// - PTR for ClusterIPs and for ready endpoints with a hostname; other reverse names go upstream.
/// - `dns-version.<zone>` TXT `1.1.0`; SOA and NS at the apex.
/// A name in the zone that does not exist is NXDOMAIN, a name with no records of the asked type
/// NOERROR with no answer (NODATA); both carry the zone's SOA in the authority section. Every
/// record has the configured TTL (5 s, CoreDNS's default). Names outside the zone: `.forward`.
public struct ClusterDNSResolver: Sendable {
    public struct Configuration: Sendable {
        /// The cluster domain (kubelet's `--cluster-domain`).
        public var zone = "cluster.local"
        public var ttl: UInt32 = 5
        public init(zone: String = "cluster.local", ttl: UInt32 = 5) {
            self.zone = zone.lowercased().trimmingDots()
            self.ttl = ttl
        }
    }

    public enum Outcome: Sendable, Hashable {
        case answer(DNSMessage)
        /// Not ours: ask the upstream nameservers.
        case forward
    }

    public let configuration: Configuration
    let source: any ClusterDNSSource
    /// The SOA serial: when this resolver was made, in seconds since 1970 (modulo 2^32).
    let serial: UInt32

    public init(configuration: Configuration = .init(), source: any ClusterDNSSource, serial: UInt32 = 1) {
        self.configuration = configuration
        self.source = source
        self.serial = serial
    }

    var zone: String { configuration.zone }

    /// The answer to `query`, or `.forward` for a name this resolver does not own.
    public func resolve(_ query: DNSMessage) -> Outcome {
        guard query.opcode == 0 else { return .answer(query.makeResponse(rcode: .notImplemented)) }
        guard query.questions.count == 1, let q = query.questions.first else { return .answer(query.makeResponse(rcode: .formatError)) }
        let name = q.name.lowercased().trimmingDots()
        if name == zone || name.hasSuffix("." + zone) {
            let relative = name == zone ? [] : name.dropLast(zone.count + 1).split(separator: ".").map(String.init)
            return .answer(respond(to: query, with: lookup(relative, type: q.type)))
        }
        if let address = IPAddressBytes.fromReverseName(name) {
            let targets = reverse(address)
            guard !targets.isEmpty else { return .forward }
            let found = Lookup(answers: q.type == .ptr || q.type == .any
                                   ? targets.map { record(q.name, .ptr($0)) } : [], exists: true)
            return .answer(respond(to: query, with: found, soa: false))
        }
        return .forward
    }

    /// What a name in the zone holds.
    struct Lookup {
        var answers: [DNSRecord] = []
        var additionals: [DNSRecord] = []
        var exists: Bool
    }

    func respond(to query: DNSMessage, with found: Lookup, soa: Bool = true) -> DNSMessage {
        var response = query.makeResponse(rcode: found.exists ? .noError : .nameError)
        response.authoritative = true
        response.answers = found.answers
        response.additionals = found.additionals
        if found.answers.isEmpty && soa { response.authorities = [soaRecord] }
        return response
    }

    var soaRecord: DNSRecord {
        record(zone, .soa(mname: "ns.dns.\(zone)", rname: "hostmaster.\(zone)", serial: serial,
                          refresh: 7200, retry: 1800, expire: 86400, minimum: configuration.ttl))
    }

    func record(_ name: String, _ data: DNSRecordData) -> DNSRecord {
        DNSRecord(name: name, ttl: configuration.ttl, data: data)
    }

    /// `labels` are the name's labels before the zone, lowercased.
    func lookup(_ labels: [String], type: DNSRecordType) -> Lookup {
        let fqdn = (labels + [zone]).joined(separator: ".")
        guard let kind = labels.last else {
            var apex = Lookup(exists: true)
            if type == .soa || type == .any { apex.answers.append(soaRecord) }
            if type == .ns || type == .any { apex.answers.append(record(zone, .ns("ns.dns.\(zone)"))) }
            return apex
        }
        let rest = Array(labels.dropLast())
        switch kind {
        case "svc": return lookupService(rest, fqdn: fqdn, type: type)
        case "pod": return lookupPod(rest, fqdn: fqdn, type: type)
        case "dns-version" where rest.isEmpty:
            return Lookup(answers: type == .txt || type == .any ? [record(fqdn, .txt(["1.1.0"]))] : [], exists: true)
        default: return Lookup(exists: false)
        }
    }

    /// `<a-b-c-d>.<ns>.pod.<zone>`.
    func lookupPod(_ labels: [String], fqdn: String, type: DNSRecordType) -> Lookup {
        switch labels.count {
        case 0: return Lookup(exists: true)
        case 1: return Lookup(exists: !source.services(namespace: labels[0]).isEmpty)
        case 2:
            guard let address = IPAddressBytes.fromDashed(labels[0]) else { return Lookup(exists: false) }
            return Lookup(answers: addressRecords(fqdn, [address], type: type), exists: true)
        default: return Lookup(exists: false)
        }
    }

    func addressRecords(_ name: String, _ addresses: [[UInt8]], type: DNSRecordType) -> [DNSRecord] {
        addresses.compactMap { a in
            if a.count == 4 && (type == .a || type == .any) { return record(name, .a(a)) }
            if a.count == 16 && (type == .aaaa || type == .any) { return record(name, .aaaa(a)) }
            return nil
        }
    }
}

extension String {
    func trimmingDots() -> String {
        var s = Substring(self)
        while s.hasSuffix(".") { s = s.dropLast() }
        return String(s)
    }
}
