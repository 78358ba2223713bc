import Testing
@testable import SkiffProxy

@Suite struct DNSMessageTests {
    /// `dig web.default.svc.cluster.local A` without EDNS, as the bytes a resolver sends.
    static let handMadeQuery: [UInt8] = [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        3, 0x77, 0x65, 0x62, 7, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 3, 0x73, 0x76, 0x63,
        7, 0x63, 0x6c, 0x75, 0x73, 0x74, 0x65, 0x72, 5, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0,
        0x00, 0x01, 0x00, 0x01,
    ]

    @Test func decodesAHandMadeQuery() throws {
        let m = try DNSMessage(decoding: Self.handMadeQuery)
        #expect(m.id == 0x1234)
        #expect(!m.isResponse && m.recursionDesired && m.opcode == 0)
        #expect(m.questions == [DNSQuestion(name: "web.default.svc.cluster.local", type: .a)])
        #expect(m.edns == nil)
        #expect(m.encode() == Self.handMadeQuery)
    }

    @Test func roundTripsEveryRecordType() throws {
        var m = DNSMessage(id: 7)
        m.isResponse = true
        m.authoritative = true
        m.rcode = .nameError
        m.questions = [DNSQuestion(name: "a.example", type: .any)]
        m.answers = [
            DNSRecord(name: "a.example", ttl: 5, data: .a([10, 43, 0, 1])),
            DNSRecord(name: "a.example", ttl: 5, data: .aaaa(Array(repeating: 0, count: 15) + [1])),
            DNSRecord(name: "b.example", ttl: 5, data: .cname("a.example")),
            DNSRecord(name: "1.0.43.10.in-addr.arpa", ttl: 5, data: .ptr("a.example")),
            DNSRecord(name: "_http._tcp.a.example", ttl: 5, data: .srv(priority: 0, weight: 100, port: 80, target: "a.example")),
            DNSRecord(name: "v.example", ttl: 5, data: .txt(["1.1.0", ""])),
            DNSRecord(name: "x.example", ttl: 5, data: .other(DNSRecordType(rawValue: 99), [1, 2, 3])),
        ]
        m.authorities = [DNSRecord(name: "example", ttl: 5, data: .soa(mname: "ns.dns.example", rname: "hostmaster.example",
                                                                       serial: 42, refresh: 7200, retry: 1800, expire: 86400, minimum: 5))]
        m.additionals = [DNSRecord(name: "example", ttl: 5, data: .ns("ns.dns.example"))]
        m.edns = DNSMessage.EDNS(udpPayloadSize: 1232, dnssecOK: true)
        let decoded = try DNSMessage(decoding: m.encode())
        #expect(decoded == m)
    }

    @Test func compressesRepeatedNames() throws {
        var m = DNSMessage(id: 1)
        m.questions = [DNSQuestion(name: "web.default.svc.cluster.local", type: .a)]
        m.answers = (1...3).map { DNSRecord(name: "web.default.svc.cluster.local", ttl: 5, data: .a([10, 42, 0, UInt8($0)])) }
        m.authorities = [DNSRecord(name: "cluster.local", ttl: 5, data: .ns("ns.dns.cluster.local"))]
        let bytes = m.encode()
        // Header 12 + question 31 + 4; each answer 2 (pointer) + 10 + 4; the NS owner is a
        // pointer into the question, its target "ns.dns" + pointer.
        #expect(bytes.count == 12 + 35 + 3 * 16 + (2 + 10 + 3 + 4 + 2))
        #expect(Array(bytes[47...48]) == [0xC0, 12])
        #expect(try DNSMessage(decoding: bytes) == m)
        // Names compare case-insensitively for compression.
        m.answers[1].name = "WEB.default.svc.cluster.local"
        #expect(m.encode().count == bytes.count)
    }

    @Test func truncatesToTheLimitAndSetsTC() throws {
        var m = DNSMessage(id: 1)
        m.isResponse = true
        m.questions = [DNSQuestion(name: "many.default.svc.cluster.local", type: .a)]
        m.answers = (0..<40).map { DNSRecord(name: "many.default.svc.cluster.local", ttl: 5, data: .a([10, 42, 0, UInt8($0)])) }
        let full = m.encode()
        #expect(full.count > 512)
        #expect(try DNSMessage(decoding: full).truncated == false)
        let cut = m.encode(maxSize: 512)
        #expect(cut.count <= 512)
        let decoded = try DNSMessage(decoding: cut)
        #expect(decoded.truncated)
        #expect(decoded.answers.count == (512 - 12 - 36) / 16)
        #expect(decoded.answers == Array(m.answers.prefix(decoded.answers.count)))
        // With EDNS the OPT record stays and counts against the limit.
        m.edns = DNSMessage.EDNS(udpPayloadSize: 512)
        let withOPT = try DNSMessage(decoding: m.encode(maxSize: 512))
        #expect(withOPT.truncated && withOPT.edns?.udpPayloadSize == 512)
        #expect(m.encode(maxSize: 512).count <= 512)
    }

    @Test func reportsEDNSSizes() throws {
        var q = try DNSMessage(decoding: Self.handMadeQuery)
        #expect(q.maxUDPResponseSize == 512)
        q.edns = DNSMessage.EDNS(udpPayloadSize: 4096)
        #expect(try DNSMessage(decoding: q.encode()).maxUDPResponseSize == 4096)
        q.edns = DNSMessage.EDNS(udpPayloadSize: 100)
        #expect(q.maxUDPResponseSize == 512)
    }

    @Test(arguments: [
        [UInt8](),
        [0, 1, 0, 0, 0, 1],  // short header
        [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61],  // label past the end
        [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1],  // pointer to itself
        [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 1, 0, 1],  // reserved label type
        [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 9, 1, 2, 3, 4],  // rdata past the end
    ])
    func rejectsMalformedMessages(bytes: [UInt8]) {
        #expect(throws: DNSFormatError.self) { try DNSMessage(decoding: bytes) }
    }

    /// Corrupted and cut copies of a real response either decode or throw; none crashes, and
    /// whatever decodes encodes again.
    @Test func survivesCorruptedMessages() throws {
        var m = DNSMessage(id: 9)
        m.isResponse = true
        m.questions = [DNSQuestion(name: "_http._tcp.web.default.svc.cluster.local", type: .srv)]
        m.answers = [DNSRecord(name: "_http._tcp.web.default.svc.cluster.local", ttl: 5,
                               data: .srv(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local"))]
        m.additionals = [DNSRecord(name: "web.default.svc.cluster.local", ttl: 5, data: .a([10, 43, 0, 20]))]
        m.authorities = [DNSRecord(name: "cluster.local", ttl: 5, data: .soa(mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local",
                                                                             serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5))]
        m.edns = DNSMessage.EDNS(udpPayloadSize: 1232)
        let bytes = m.encode()
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var decoded = 0
        for _ in 0..<5000 {
            var b = bytes
            for _ in 0...(next() % 4) { b[next() % b.count] = UInt8(truncatingIfNeeded: next()) }
            if next() % 3 == 0 { b = Array(b.prefix(next() % b.count)) }
            if let d = try? DNSMessage(decoding: b) {
                decoded += 1
                _ = d.encode(maxSize: 512)
            }
        }
        #expect(decoded > 0)
    }
}
