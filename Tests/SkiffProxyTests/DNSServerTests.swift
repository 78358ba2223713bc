import Foundation
import Logging
import NIOCore
import NIOPosix
import SkiffModel
import Synchronization
import Testing
@testable import SkiffProxy

/// The server on 127.0.0.1, asked by an independent client: Python's socket module sending a
/// hand-made query and parsing the answer itself.
@Suite(.timeLimit(.minutes(1))) struct DNSServerTests {
    static let client = #"""
import json, socket, struct, sys
host, port, name, qtype, proto, edns = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
q = struct.pack(">HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 1 if edns else 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
if edns:
    q += b"\0" + struct.pack(">HHIH", 41, edns, 0, 0)
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10)
    s.sendto(q, (host, port)); r = s.recv(65535)
else:
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(struct.pack(">H", len(q)) + q)
    buf = b""
    while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
        chunk = s.recv(65535)
        if not chunk: break
        buf += chunk
    r = buf[2:]
def name_at(o):
    labels, jumped, end = [], False, None
    while True:
        n = r[o]
        if n == 0: o += 1; break
        if n & 0xC0 == 0xC0:
            if end is None: end = o + 2
            o = ((n & 0x3F) << 8) | r[o + 1]; continue
        labels.append(r[o + 1:o + 1 + n].decode()); o += 1 + n
    return ".".join(labels), (end if end is not None else o)
rid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", r[:12])
o = 12
for _ in range(qd):
    _, o = name_at(o); o += 4
answers = []
for _ in range(an + ns):
    owner, o = name_at(o)
    t, c, ttl, ln = struct.unpack(">HHIH", r[o:o + 10]); o += 10
    data = r[o:o + ln]; o += ln
    if t == 1: answers.append({"name": owner, "type": "A", "ttl": ttl, "data": socket.inet_ntoa(data)})
    elif t == 5: answers.append({"name": owner, "type": "CNAME", "ttl": ttl, "data": name_at(o - ln)[0]})
    elif t == 6: answers.append({"name": owner, "type": "SOA", "ttl": ttl})
print(json.dumps({"id": rid, "rcode": flags & 0xF, "tc": bool(flags & 0x200), "aa": bool(flags & 0x400),
                  "an": an, "ns": ns, "size": len(r), "records": answers}))
"""#

    struct Reply: Decodable {
        var id: Int
        var rcode: Int
        var tc: Bool
        var aa: Bool
        var an: Int
        var ns: Int
        var size: Int
        var records: [Record]
        struct Record: Decodable { var name: String; var type: String; var ttl: Int; var data: String? }
        var addresses: [String] { records.filter { $0.type == "A" }.compactMap(\.data).sorted() }
    }

    /// Runs the client and waits for it without blocking a thread of the concurrency pool, which
    /// the server under test needs.
    static func ask(port: Int, _ name: String, type: Int = 1, tcp: Bool = false, edns: Int = 0) async throws -> Reply {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", client, "127.0.0.1", "\(port)", name, "\(type)", tcp ? "tcp" : "udp", "\(edns)"]
        let out = Pipe()
        p.standardOutput = out
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            p.terminationHandler = { _ in c.resume() }
            do { try p.run() } catch { c.resume(throwing: error) }
        }
        // The reply is one short JSON line: it fits the pipe's buffer.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        #expect(p.terminationStatus == 0)
        return try JSONDecoder().decode(Reply.self, from: data)
    }

    static func slice(_ service: String, count: Int) -> JSON {
        ["metadata": ["name": .string(service + "-x"), "namespace": "default", "labels": ["kubernetes.io/service-name": .string(service)]],
         "endpoints": .array((0..<count).map { ["addresses": [.string("10.42.1.\($0 + 1)")], "conditions": ["ready": true]] })]
    }

    /// Runs `body` with a server on 127.0.0.1 (a free port) answering for cluster.local and
    /// forwarding to `upstreams`; stops it after.
    static func withServer(upstreams: [DNSForwarder.Upstream] = [], zone: String = "cluster.local",
                           tcpIdleTimeout: Duration = .seconds(10),
                           _ body: @Sendable (Int) async throws -> Void) async throws {
        let source = StaticDNSSource(
            services: [ClusterDNSResolverTests.service("web", clusterIP: "10.43.0.20"),
                       ClusterDNSResolverTests.service("many", clusterIP: "None")],
            endpointSlices: [slice("many", count: 60)])
        let logger = Logger(label: "test")
        let responder = DNSResponder(resolver: ClusterDNSResolver(configuration: .init(zone: zone), source: source),
                                     forwarder: DNSForwarder(upstreams: upstreams, timeout: .seconds(2), logger: logger),
                                     logger: logger)
        var configuration = DNSServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.tcpIdleTimeout = tcpIdleTimeout
        // With port 0 the server binds UDP to a free port and TCP to the same number, which
        // another process may hold: then it fails at once, and another port is tried.
        for _ in 0..<5 {
            let server = DNSServer(configuration: configuration, responder: responder, logger: logger)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let served = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    try await server.run { continuation.yield($0) }
                }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else {
                    _ = try? await group.next()
                    return false
                }
                try await body(port)
                group.cancelAll()
                return true
            }
            if served { return }
        }
        Issue.record("the test DNS server could not bind a UDP and TCP port pair")
    }

    @Test func answersOverUDPAndTCP() async throws {
        try await Self.withServer { port in
            let udp = try await Self.ask(port: port, "web.default.svc.cluster.local")
            #expect(udp.id == 0xBEEF && udp.rcode == 0 && udp.aa && udp.addresses == ["10.43.0.20"])
            #expect(udp.records.first?.ttl == 5)
            let tcp = try await Self.ask(port: port, "web.default.svc.cluster.local", tcp: true)
            #expect(tcp.addresses == ["10.43.0.20"])
            let missing = try await Self.ask(port: port, "nope.default.svc.cluster.local")
            #expect(missing.rcode == 3 && missing.an == 0 && missing.ns == 1 && missing.records.first?.type == "SOA")
        }
    }

    /// Two queries written at once on one TCP connection both get their answer, and the server
    /// closes the connection after it has been idle.
    @Test func pipelinedQueriesOnOneTCPConnection() async throws {
        let script = #"""
import socket, struct, sys
def q(i, name):
    m = struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0)
    m += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    return struct.pack(">H", len(m)) + m
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(q(1, "web.default.svc.cluster.local") + q(2, "nope.default.svc.cluster.local"))
buf, got = b"", {}
while len(got) < 2:
    chunk = s.recv(65535)
    if not chunk: break
    buf += chunk
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
        n = struct.unpack(">H", buf[:2])[0]
        m, buf = buf[2:2 + n], buf[2 + n:]
        got[struct.unpack(">H", m[:2])[0]] = m[3] & 0xF
print(got.get(1), got.get(2), "closed" if s.recv(10) == b"" else "open")
"""#
        // Long enough that a loaded machine still reads both queries before the idle close.
        try await Self.withServer(tcpIdleTimeout: .seconds(2)) { port in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", script, "\(port)"]
            let out = Pipe()
            p.standardOutput = out
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                p.terminationHandler = { _ in c.resume() }
                do { try p.run() } catch { c.resume(throwing: error) }
            }
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "0 3 closed")
        }
    }

    @Test func truncatesOverUDPWithoutEDNS() async throws {
        try await Self.withServer { port in
            let udp = try await Self.ask(port: port, "many.default.svc.cluster.local")
            #expect(udp.tc && udp.size <= 512 && udp.an < 60)
            let tcp = try await Self.ask(port: port, "many.default.svc.cluster.local", tcp: true)
            #expect(!tcp.tc && tcp.an == 60)
            let edns = try await Self.ask(port: port, "many.default.svc.cluster.local", edns: 4096)
            #expect(!edns.tc && edns.an == 60 && edns.size > 512)
        }
    }

    @Test func forwardsOtherNamesAndFailsWhenUpstreamIsSilent() async throws {
        // The upstream: another server on loopback, authoritative for `upstream.test`.
        try await Self.withServer(zone: "upstream.test") { upstreamPort in
            try await Self.withServer(upstreams: [.init(host: "127.0.0.1", port: upstreamPort)]) { port in
                let r = try await Self.ask(port: port, "web.default.svc.upstream.test")
                #expect(r.rcode == 0 && r.addresses == ["10.43.0.20"])
                // Over UDP a long upstream answer is cut to 512 bytes; over TCP it is forwarded
                // over TCP and arrives whole.
                let udp = try await Self.ask(port: port, "many.default.svc.upstream.test")
                #expect(udp.tc && udp.size <= 512)
                let tcp = try await Self.ask(port: port, "many.default.svc.upstream.test", tcp: true)
                #expect(!tcp.tc && tcp.an == 60)
            }
        }
        // A socket that never answers: SERVFAIL after the timeout; no upstream at all: SERVFAIL.
        let silent = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let silentPort = try #require(silent.localAddress?.port)
        try await Self.withServer(upstreams: [.init(host: "127.0.0.1", port: silentPort)]) { port in
            let r = try await Self.ask(port: port, "example.org")
            #expect(r.rcode == 2)
        }
        try await silent.close()
        try await Self.withServer { port in
            let r = try await Self.ask(port: port, "example.org", tcp: true)
            #expect(r.rcode == 2)
        }
    }
}
