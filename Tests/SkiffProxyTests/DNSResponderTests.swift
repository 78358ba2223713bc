import Logging
import Testing
@testable import SkiffProxy

@Suite struct DNSResponderTests {
    static let responder = DNSResponder(
        resolver: ClusterDNSResolver(source: StaticDNSSource(services: [ClusterDNSResolverTests.service("web", clusterIP: "10.43.0.20")],
                                                             endpointSlices: [])),
        forwarder: DNSForwarder(upstreams: [], logger: Logger(label: "test")), logger: Logger(label: "test"))

    static func query(_ name: String, opcode: UInt8 = 0, edns: DNSMessage.EDNS? = nil) -> [UInt8] {
        var q = DNSMessage(id: 77)
        q.opcode = opcode
        q.recursionDesired = true
        q.questions = [DNSQuestion(name: name, type: .a)]
        q.edns = edns
        return q.encode()
    }

    @Test func answersAndFailures() async throws {
        let ok = try DNSMessage(decoding: try #require(await Self.responder.respond(to: Self.query("web.default.svc.cluster.local"), overTCP: false)))
        #expect(ok.rcode == .noError && ok.answers.count == 1 && ok.id == 77)
        // No upstream: SERVFAIL for a name outside the zone.
        let out = try DNSMessage(decoding: try #require(await Self.responder.respond(to: Self.query("example.org"), overTCP: false)))
        #expect(out.rcode == .serverFailure && out.answers.isEmpty && out.recursionAvailable)
        // Other opcodes (here STATUS): NOTIMP.
        let status = try DNSMessage(decoding: try #require(await Self.responder.respond(to: Self.query("web.default.svc.cluster.local", opcode: 2), overTCP: false)))
        #expect(status.rcode == .notImplemented)
    }

    @Test func ednsIsEchoedAndVersionsAbove0AreRefused() async throws {
        let q = Self.query("web.default.svc.cluster.local", edns: DNSMessage.EDNS(udpPayloadSize: 4096))
        let r = try DNSMessage(decoding: try #require(await Self.responder.respond(to: q, overTCP: false)))
        #expect(r.edns?.udpPayloadSize == 1232 && r.answers.count == 1)
        var v1 = DNSMessage.EDNS(udpPayloadSize: 4096)
        v1.version = 1
        let bad = try DNSMessage(decoding: try #require(await Self.responder.respond(
            to: Self.query("web.default.svc.cluster.local", edns: v1), overTCP: false)))
        #expect(bad.rcode == .badVersion && bad.edns?.version == 0 && bad.answers.isEmpty)
    }

    @Test func garbageGetsFORMERROrNothing() async throws {
        var garbage = Self.query("web.default.svc.cluster.local")
        garbage[garbage.count - 11] = 0xFF  // the length of "local" becomes a pointer past the end
        let r = try DNSMessage(decoding: try #require(await Self.responder.respond(to: garbage, overTCP: false)))
        #expect(r.rcode == .formatError && r.id == 77 && r.isResponse)
        #expect(await Self.responder.respond(to: [1, 2, 3], overTCP: false) == nil)
        // A response sent to the server is not answered (no loops between servers).
        var response = try DNSMessage(decoding: Self.query("web.default.svc.cluster.local"))
        response.isResponse = true
        #expect(await Self.responder.respond(to: response.encode(), overTCP: false) == nil)
    }
}
