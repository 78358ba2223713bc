import Foundation
import Glibc
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import Synchronization
import Testing
@testable import SkiffNodeAgent

/// A gRPC health server on 127.0.0.1 (plain-text HTTP/2): service "" and "ok" are SERVING,
/// "down" NOT_SERVING, "unimplemented" answers UNIMPLEMENTED, "hang" is never answered, any
/// other is NOT_FOUND "unknown service" (a trailers-only response). It records each request.
final class HealthServer: Sendable {
    struct Request: Sendable, Equatable {
        var method: String?
        var scheme: String?
        var path: String?
        var contentType: String?
        var te: String?
        var userAgent: String?
        var timeout: String?
        /// The request message as framed on the wire (flag byte, length, message).
        var frame: [UInt8]
    }

    let channel: any Channel
    let log: RequestLog

    init(channel: any Channel, log: RequestLog) {
        self.channel = channel
        self.log = log
    }

    var port: Int { channel.localAddress?.port ?? 0 }
    /// The requests answered (or left unanswered) so far.
    var requests: [Request] { log.requests.withLock { $0 } }

    /// The server for the time of `body`.
    static func with<T>(_ body: (HealthServer) async throws -> T) async throws -> T {
        let log = RequestLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()
                    ) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(HealthServerHandler(log: log))
                        }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = HealthServer(channel: channel, log: log)
        do {
            let result = try await body(server)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

/// Shares the request list between the server's handlers (one per stream) and the test.
final class RequestLog: Sendable {
    let requests = Mutex<[HealthServer.Request]>([])
}

final class HealthServerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    let log: RequestLog
    var headers: HPACKHeaders = [:]
    var body: [UInt8] = []

    init(log: RequestLog) {
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let h):
            headers = h.headers
            if h.endStream { respond(context: context) }
        case .data(let d):
            if case .byteBuffer(var b) = d.data { body += b.readBytes(length: b.readableBytes) ?? [] }
            if d.endStream { respond(context: context) }
        default:
            break
        }
    }

    func respond(context: ChannelHandlerContext) {
        log.requests.withLock {
            $0.append(.init(method: headers.first(name: ":method"), scheme: headers.first(name: ":scheme"),
                            path: headers.first(name: ":path"), contentType: headers.first(name: "content-type"),
                            te: headers.first(name: "te"), userAgent: headers.first(name: "user-agent"),
                            timeout: headers.first(name: "grpc-timeout"), frame: body))
        }
        // HealthCheckRequest: field 1 (tag 0x0A), a one-byte length for the short names used here.
        let message = Array(body.dropFirst(5))
        let service = message.count >= 2 && message[0] == 0x0A ? String(decoding: message[2...], as: UTF8.self) : ""
        switch service {
        case "", "ok": reply(context: context, status: 1)
        case "down": reply(context: context, status: 2)
        case "hang": return
        case "unimplemented": trailersOnly(context: context, code: 12, message: "unknown service grpc.health.v1.Health")
        default: trailersOnly(context: context, code: 5, message: "unknown service")
        }
    }

    func reply(context: ChannelHandlerContext, status: UInt8) {
        let response: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]
        context.write(wrapOutboundOut(.headers(.init(headers: response))), promise: nil)
        // HealthCheckResponse{status}: field 1, varint; framed: not compressed, length 2.
        let buffer = context.channel.allocator.buffer(bytes: [0, 0, 0, 0, 2, 0x08, status])
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(buffer)))), promise: nil)
        let trailers: HPACKHeaders = ["grpc-status": "0"]
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: trailers, endStream: true))), promise: nil)
    }

    func trailersOnly(context: ChannelHandlerContext, code: Int, message: String) {
        let headers: HPACKHeaders = [":status": "200", "content-type": "application/grpc",
                                     "grpc-status": String(code), "grpc-message": message]
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
    }
}

struct GRPCProbeTests {
    @Test func servingSucceedsAndTheRequestIsTheKubelets() async throws {
        try await HealthServer.with { server in
            let r = await GRPCProbe(host: "127.0.0.1", port: server.port, service: "ok").run(timeout: 2)
            #expect(r.success)
            #expect(r.message == "service healthy")
            let overall = await GRPCProbe(host: "127.0.0.1", port: server.port, service: nil).run(timeout: 2)
            #expect(overall.success)
            let requests = server.requests
            try #require(requests.count == 2)
            let first = requests[0]
            #expect(first.method == "POST" && first.scheme == "http" && first.path == "/grpc.health.v1.Health/Check")
            #expect(first.contentType == "application/grpc" && first.te == "trailers")
            #expect(first.userAgent?.hasPrefix("kube-probe/1.33") == true)
            // grpc-timeout: the deadline left, in microseconds (just under 2 s).
            let timeout = try #require(first.timeout)
            #expect(timeout.hasSuffix("u"))
            #expect((1_000_000...2_000_000).contains(Int(timeout.dropLast()) ?? 0))
            #expect(first.frame == [0, 0, 0, 0, 4, 0x0A, 2] + Array("ok".utf8))
            // No service: an empty HealthCheckRequest.
            #expect(requests[1].frame == [0, 0, 0, 0, 0])
        }
    }

    @Test(arguments: [
        ("down", "service unhealthy (responded with \"NOT_SERVING\")"),
        ("nosuch", "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service"),
        ("unimplemented", "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): "
            + "unknown service grpc.health.v1.Health"),
    ])
    func anUnhealthyAnswerFailsInTheKubeletsWords(_ service: String, _ message: String) async throws {
        try await HealthServer.with { server in
            let r = await GRPCProbe(host: "127.0.0.1", port: server.port, service: service).run(timeout: 2)
            #expect(!r.success)
            #expect(r.message == message)
        }
    }

    @Test func anUnansweredCallTimesOut() async throws {
        try await HealthServer.with { server in
            let r = await GRPCProbe(host: "127.0.0.1", port: server.port, service: "hang").run(timeout: 1)
            #expect(!r.success)
            #expect(r.message == "timeout: health rpc did not complete within 1s")
        }
    }

    @Test func aClosedPortFailsWithTheConnectTimeout() async throws {
        let port = try await ProbeRunnerTests.closedPort()
        let r = await GRPCProbe(host: "127.0.0.1", port: port, service: nil).run(timeout: 1)
        #expect(!r.success)
        #expect(r.message == "timeout: failed to connect service \"127.0.0.1:\(port)\" within 1s: context deadline exceeded")
    }

    @Test func aListenerThatNeverSpeaksHTTP2FailsWithTheConnectTimeout() async throws {
        // Connections complete in the kernel's backlog; nobody accepts them, so no SETTINGS come.
        let (fd, port) = ProbeRunnerTests.silentListener()
        defer { close(fd) }
        let r = await GRPCProbe(host: "127.0.0.1", port: port, service: "ok").run(timeout: 1)
        #expect(!r.success)
        #expect(r.message == "timeout: failed to connect service \"127.0.0.1:\(port)\" within 1s: context deadline exceeded")
    }

    @Test func anHTTP1ServerIsNeverConnected() async throws {
        // It answers the HTTP/2 preface with an HTTP/1.1 response and closes: no SETTINGS come,
        // and the attempts go on (as grpc-go's) until the deadline.
        let reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        let (port, r) = try await ProbeRunnerTests.withListener(reply: reply) { port in
            (port, await GRPCProbe(host: "127.0.0.1", port: port, service: nil).run(timeout: 1))
        }
        #expect(!r.success)
        #expect(r.message == "timeout: failed to connect service \"127.0.0.1:\(port)\" within 1s: context deadline exceeded")
    }

    @Test func theProbeRunnerCallsThePodIP() async throws {
        let dir = NSTemporaryDirectory() + "skiff-probe-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runner = ContainerProbeRunner(runtime: try RuncRuntime(dataDir: dir))
        try await HealthServer.with { server in
            let target = ProbeTarget(containerID: "x", podIP: "127.0.0.1")
            let timing = ProbeTiming(timeoutSeconds: 2)
            let ok = await runner.run(Probe(kind: .readiness, handler: .grpc(port: server.port, service: nil), timing: timing), target: target)
            #expect(ok.success)
            let down = await runner.run(Probe(kind: .liveness, handler: .grpc(port: server.port, service: "down"), timing: timing), target: target)
            #expect(!down.success && down.message == "service unhealthy (responded with \"NOT_SERVING\")")
            #expect(server.requests.count == 2)
            let noIP = await runner.run(Probe(kind: .liveness, handler: .grpc(port: server.port, service: nil)),
                                        target: ProbeTarget(containerID: "x", podIP: nil))
            #expect(!noIP.success && noIP.message == "the Pod has no IP to probe")
        }
    }
}

/// The hand-written wire pieces.
struct GRPCHealthCodecTests {
    @Test func requestEncoding() {
        #expect(GRPCHealthCodec.encodeRequest(service: "") == [])
        #expect(GRPCHealthCodec.encodeRequest(service: "db") == [0x0A, 2, 0x64, 0x62])
        let long = String(repeating: "x", count: 200)
        #expect(Array(GRPCHealthCodec.encodeRequest(service: long).prefix(3)) == [0x0A, 0xC8, 0x01])
    }

    @Test func responseDecodingSkipsOtherFields() throws {
        #expect(try GRPCHealthCodec.decodeResponse([]) == 0)
        #expect(try GRPCHealthCodec.decodeResponse([0x08, 0x01]) == 1)
        // field 2 varint, field 3 bytes, field 4 fixed64, field 5 fixed32, then status 2.
        let bytes: [UInt8] = [0x10, 0x96, 0x01, 0x1A, 2, 0xFF, 0xFF, 0x21] + [UInt8](repeating: 0, count: 8)
            + [0x2D, 1, 2, 3, 4, 0x08, 0x02]
        #expect(try GRPCHealthCodec.decodeResponse(bytes) == 2)
        #expect(throws: GRPCHealthCodec.DecodeError.self) { try GRPCHealthCodec.decodeResponse([0x08]) }
        #expect(throws: GRPCHealthCodec.DecodeError.self) { try GRPCHealthCodec.decodeResponse([0x1A, 5, 1]) }
        #expect(GRPCHealthCodec.servingStatusName(3) == "SERVICE_UNKNOWN")
        #expect(GRPCHealthCodec.servingStatusName(7) == "7")
    }

    @Test func framing() throws {
        #expect(GRPCHealthCodec.frame([1, 2]) == [0, 0, 0, 0, 2, 1, 2])
        #expect(try GRPCHealthCodec.unframe([0, 0, 0, 0, 2, 1, 2, 0, 0, 0, 0, 0]) == [[1, 2], []])
        #expect(throws: GRPCStatus(code: 13, message: "unexpected EOF")) { try GRPCHealthCodec.unframe([0, 0, 0, 0, 3, 1]) }
        #expect(throws: GRPCStatus(code: 13, message: "grpc: compressed flag set with identity or empty encoding")) {
            try GRPCHealthCodec.unframe([1, 0, 0, 0, 0])
        }
    }

    @Test(arguments: [(1.0, "1s"), (30, "30s"), (60, "1m0s"), (125, "2m5s"), (3600, "1h0m0s"), (1.5, "1.5s"), (0.25, "250ms")])
    func goDurations(_ seconds: Double, _ text: String) {
        #expect(GRPCHealthCodec.goDuration(seconds: seconds) == text)
    }

    @Test func timeoutHeaderUsesTheSmallestUnitThatFits() {
        #expect(GRPCHealthCodec.timeoutHeader(nanoseconds: 0) == "0n")
        #expect(GRPCHealthCodec.timeoutHeader(nanoseconds: 50_000_000) == "50000000n")
        #expect(GRPCHealthCodec.timeoutHeader(nanoseconds: 999_876_543) == "999877u")
        #expect(GRPCHealthCodec.timeoutHeader(nanoseconds: 300_000_000_000) == "300000m")
    }

    @Test func statusTexts() {
        #expect(GRPCHealthCodec.percentDecode("caf%C3%A9 100%25 %zz") == "café 100% %zz")
        #expect("\(GRPCStatus(code: 14, message: "x"))" == "rpc error: code = Unavailable desc = x")
        #expect(GRPCStatus(code: 17, message: "").codeName == "Code(17)")
        #expect(GRPCCallHandler.headerError([":status": "200", "content-type": "application/grpc+proto"]) == nil)
        #expect(GRPCCallHandler.headerError([":status": "404", "content-type": "text/html"])
            == GRPCStatus(code: 12, message: "unexpected HTTP status code received from server: 404 (Not Found); transport: received unexpected content-type \"text/html\""))
    }
}
