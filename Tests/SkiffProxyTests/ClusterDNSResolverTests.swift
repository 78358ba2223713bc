import SkiffModel
import Testing
@testable import SkiffProxy

@Suite struct ClusterDNSResolverTests {
    static func service(_ name: String, _ ns: String = "default", clusterIP: String, ports: [JSON] = [],
                        type: String = "ClusterIP", externalName: String? = nil) -> JSON {
        var spec: JSON = ["clusterIP": .string(clusterIP), "type": .string(type), "ports": .array(ports)]
        if clusterIP != "None" { spec["clusterIPs"] = [.string(clusterIP)] }
        if let externalName { spec["externalName"] = .string(externalName) }
        return ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": .string(ns)], "spec": spec]
    }

    static func slice(_ service: String, _ ns: String = "default", endpoints: [(ip: String, ready: Bool, hostname: String?)],
                      ports: [JSON]) -> JSON {
        ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
         "metadata": ["name": .string("\(service)-abcde"), "namespace": .string(ns),
                      "labels": ["kubernetes.io/service-name": .string(service)]],
         "endpoints": .array(endpoints.map { e in
             var o: JSON = ["addresses": [.string(e.ip)], "conditions": ["ready": .bool(e.ready)]]
             if let h = e.hostname { o["hostname"] = .string(h) }
             return o
         }),
         "ports": .array(ports)]
    }

    static let resolver: ClusterDNSResolver = {
        let http: JSON = ["name": "http", "port": 80, "protocol": "TCP"]
        let source = StaticDNSSource(
            services: [
                service("web", clusterIP: "10.43.0.20", ports: [http, ["port": 9000, "protocol": "UDP"]]),
                service("db", clusterIP: "None", ports: [["name": "pg", "port": 5432, "protocol": "TCP"]]),
                service("empty", clusterIP: "None"),
                service("ext", clusterIP: "", type: "ExternalName", externalName: "Example.COM."),
                service("kube-dns", "kube-system", clusterIP: "10.43.0.10"),
            ],
            endpointSlices: [
                slice("web", endpoints: [("10.42.0.5", true, nil)], ports: [["name": "http", "port": 8080, "protocol": "TCP"]]),
                slice("db", endpoints: [("10.42.0.7", true, "db-0"), ("10.42.0.8", true, "db-1"), ("10.42.0.9", false, "db-2"),
                                        ("10.42.0.11", true, nil)],
                      ports: [["name": "pg", "port": 5432, "protocol": "TCP"]]),
                slice("empty", endpoints: [("10.42.0.12", false, nil)], ports: []),
            ])
        return ClusterDNSResolver(source: source, serial: 99)
    }()

    static func ask(_ name: String, _ type: DNSRecordType) -> DNSMessage? {
        var q = DNSMessage(id: 5)
        q.recursionDesired = true
        q.questions = [DNSQuestion(name: name, type: type)]
        guard case .answer(let r) = resolver.resolve(q) else { return nil }
        #expect(r.id == 5 && r.isResponse && r.authoritative && r.recursionDesired && r.questions == q.questions)
        return r
    }

    static func addresses(_ m: DNSMessage?) -> [String] {
        (m?.answers ?? []).compactMap { if case .a(let b) = $0.data { IPAddressBytes.format(b) } else { nil } }.sorted()
    }

    @Test func clusterIPServiceResolvesToItsClusterIP() throws {
        let r = try #require(Self.ask("web.default.svc.cluster.local", .a))
        #expect(r.rcode == .noError)
        #expect(r.answers == [DNSRecord(name: "web.default.svc.cluster.local", ttl: 5, data: .a([10, 43, 0, 20]))])
        #expect(r.authorities.isEmpty)
        // Case and a trailing dot do not matter; the question is echoed as asked.
        #expect(Self.addresses(Self.ask("WEB.Default.svc.cluster.local.", .a)) == ["10.43.0.20"])
    }

    @Test func headlessServiceResolvesToReadyEndpoints() {
        #expect(Self.addresses(Self.ask("db.default.svc.cluster.local", .a)) == ["10.42.0.11", "10.42.0.7", "10.42.0.8"])
        #expect(Self.addresses(Self.ask("db-0.db.default.svc.cluster.local", .a)) == ["10.42.0.7"])
        // An endpoint without hostname is named by its dashed address.
        #expect(Self.addresses(Self.ask("10-42-0-11.db.default.svc.cluster.local", .a)) == ["10.42.0.11"])
        // Not ready: no record.
        #expect(Self.ask("db-2.db.default.svc.cluster.local", .a)?.rcode == .nameError)
        // A headless Service without ready endpoints does not resolve (CoreDNS).
        #expect(Self.ask("empty.default.svc.cluster.local", .a)?.rcode == .nameError)
    }

    @Test func srvRecordsForNamedPorts() throws {
        let r = try #require(Self.ask("_http._tcp.web.default.svc.cluster.local", .srv))
        #expect(r.answers.map(\.data) == [.srv(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local")])
        #expect(Self.addresses(DNSMessage(id: 0, answers: r.additionals)) == ["10.43.0.20"])
        let db = try #require(Self.ask("_pg._tcp.db.default.svc.cluster.local", .srv))
        #expect(Set(db.answers.map(\.data)) == [
            .srv(priority: 0, weight: 33, port: 5432, target: "db-0.db.default.svc.cluster.local"),
            .srv(priority: 0, weight: 33, port: 5432, target: "db-1.db.default.svc.cluster.local"),
            .srv(priority: 0, weight: 33, port: 5432, target: "10-42-0-11.db.default.svc.cluster.local"),
        ])
        #expect(db.additionals.count == 3)
        // Wrong protocol, unknown port: NXDOMAIN; the right name asked for A: NODATA.
        #expect(Self.ask("_http._udp.web.default.svc.cluster.local", .srv)?.rcode == .nameError)
        #expect(Self.ask("_nope._tcp.web.default.svc.cluster.local", .srv)?.rcode == .nameError)
        let nodata = try #require(Self.ask("_http._tcp.web.default.svc.cluster.local", .a))
        #expect(nodata.rcode == .noError && nodata.answers.isEmpty && nodata.authorities.first?.type == .soa)
    }

    @Test func externalNameIsACNAME() throws {
        let r = try #require(Self.ask("ext.default.svc.cluster.local", .a))
        #expect(r.answers.map(\.data) == [.cname("example.com")])
    }

    @Test func podRecordsCarryTheAddressInTheName() {
        #expect(Self.addresses(Self.ask("10-42-0-99.default.pod.cluster.local", .a)) == ["10.42.0.99"])
        #expect(Self.ask("not-an-ip.default.pod.cluster.local", .a)?.rcode == .nameError)
    }

    @Test func missingNamesAreNXDOMAINWithTheSOA() throws {
        for name in ["nope.default.svc.cluster.local", "web.other.svc.cluster.local", "x.y.z.cluster.local", "a.b.c.d.e.svc.cluster.local"] {
            let r = try #require(Self.ask(name, .a))
            #expect(r.rcode == .nameError, "\(name)")
            #expect(r.answers.isEmpty)
            #expect(r.authorities.map(\.data) == [.soa(mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 99,
                                                       refresh: 7200, retry: 1800, expire: 86400, minimum: 5)])
        }
        // An IPv4-only Service asked for AAAA: the name exists, no data.
        let aaaa = try #require(Self.ask("web.default.svc.cluster.local", .aaaa))
        #expect(aaaa.rcode == .noError && aaaa.answers.isEmpty && aaaa.authorities.count == 1)
    }

    @Test func apexAndVersion() throws {
        #expect(Self.ask("cluster.local", .soa)?.answers.first?.type == .soa)
        #expect(Self.ask("cluster.local", .ns)?.answers.map(\.data) == [.ns("ns.dns.cluster.local")])
        #expect(Self.ask("dns-version.cluster.local", .txt)?.answers.map(\.data) == [.txt(["1.1.0"])])
    }

    @Test func reverseLookups() throws {
        #expect(Self.ask("20.0.43.10.in-addr.arpa", .ptr)?.answers.map(\.data) == [.ptr("web.default.svc.cluster.local")])
        #expect(Self.ask("7.0.42.10.in-addr.arpa", .ptr)?.answers.map(\.data) == [.ptr("db-0.db.default.svc.cluster.local")])
        // Unknown addresses and other names go upstream.
        var q = DNSMessage(id: 1)
        q.questions = [DNSQuestion(name: "1.1.168.192.in-addr.arpa", type: .ptr)]
        #expect(Self.resolver.resolve(q) == .forward)
        q.questions = [DNSQuestion(name: "example.org", type: .a)]
        #expect(Self.resolver.resolve(q) == .forward)
    }

    @Test func otherZoneAndGateway() {
        let r = ClusterDNSResolver(configuration: .init(zone: "Skiff.Test."), source: StaticDNSSource(services: [
            Self.service("web", clusterIP: "10.43.0.20"),
        ], endpointSlices: []))
        var q = DNSMessage(id: 1)
        q.questions = [DNSQuestion(name: "web.default.svc.skiff.test", type: .a)]
        guard case .answer(let m) = r.resolve(q) else { Issue.record("not answered"); return }
        #expect(Self.addresses(m) == ["10.43.0.20"])
        q.questions = [DNSQuestion(name: "web.default.svc.cluster.local", type: .a)]
        #expect(r.resolve(q) == .forward)
        #expect(ClusterDNS.gatewayAddress(podCIDRs: ["10.42.0.0/24"]) == "10.42.0.1")
        #expect(ClusterDNS.gatewayAddress(podCIDRs: ["fd00::/64", "10.42.3.0/24"]) == "10.42.3.1")
        #expect(ClusterDNS.gatewayAddress(podCIDRs: ["bogus"]) == nil)
    }

    @Test func upstreamsFromResolvConf() {
        let text = "# comment\nsearch example.org\nnameserver 10.42.0.1\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\nnameserver bad\n"
        #expect(DNSForwarder.upstreams(resolvConf: text, excluding: ["10.42.0.1"]) == [
            .init(host: "127.0.0.53"),
        ])
    }
}

extension DNSMessage {
    init(id: UInt16, answers: [DNSRecord]) {
        self.init(id: id)
        self.answers = answers
    }
}
