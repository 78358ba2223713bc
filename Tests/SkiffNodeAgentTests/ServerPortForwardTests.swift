import Testing
@testable import SkiffNodeAgent

/// How the agent pairs and answers `kubectl port-forward` streams (the kubelet's `portforward`
/// package), without sockets.
@Suite struct ServerPortForwardTests {
    final class Client {
        let encoder: SPDYFrameEncoder
        let session: PortForwardSession
        let frames: AsyncStream<SPDYFrame>
        let out: AsyncStream<SPDYFrame>.Continuation

        init() throws {
            encoder = try SPDYFrameEncoder()
            (frames, out) = AsyncStream<SPDYFrame>.makeStream()
            session = try PortForwardSession(request: PortForwardRequest(namespace: "default", pod: "web", ports: []), out: out)
        }

        func send(_ frames: SPDYFrame...) throws -> [PortForwardSession.Forward] {
            try session.receive(frames.flatMap { try encoder.encode($0) })
        }

        /// What the session answered so far.
        func answers() async -> [SPDYFrame] {
            out.finish()
            var all: [SPDYFrame] = []
            for await f in frames { all.append(f) }
            return all
        }
    }

    static func stream(_ id: UInt32, _ type: String, port: String = "8080", request: String? = "0") -> SPDYFrame {
        var headers = [SPDYHeader("streamtype", type), SPDYHeader("port", port)]
        if let request { headers.append(SPDYHeader("requestid", request)) }
        return .synStream(streamID: id, headers: headers)
    }

    @Test func aPairOfErrorAndDataStreamsIsForwarded() async throws {
        let c = try Client()
        #expect(try c.send(Self.stream(1, "error")).isEmpty)
        let started = try c.send(Self.stream(3, "data"))
        #expect(started.count == 1)
        #expect(started.first?.port == 8080 && started.first?.dataStream == 3 && started.first?.errorStream == 1)
        // Every stream is accepted with a SYN_REPLY.
        #expect(await c.answers() == [.synReply(streamID: 1, headers: []), .synReply(streamID: 3, headers: [])])
    }

    @Test func pairsAreKeptApartByRequestID() throws {
        let c = try Client()
        #expect(try c.send(Self.stream(1, "error", request: "0"), Self.stream(3, "error", request: "1")).isEmpty)
        let second = try c.send(Self.stream(5, "data", request: "1"))
        #expect(second.map(\.errorStream) == [3])
        let first = try c.send(Self.stream(7, "data", port: "9090", request: "0"))
        #expect(first.map(\.errorStream) == [1])
    }

    @Test func clientsWithoutRequestIDPairByStreamID() throws {
        let c = try Client()
        _ = try c.send(Self.stream(5, "error", request: nil))
        #expect(try c.send(Self.stream(7, "data", request: nil)).map(\.errorStream) == [5])
    }

    @Test func streamsThatCannotBePlacedAreRefused() async throws {
        let c = try Client()
        _ = try c.send(Self.stream(1, "bogus"), Self.stream(3, "data", port: "0"), Self.stream(5, "data", port: "http"))
        _ = try c.send(Self.stream(7, "data", request: "9"), Self.stream(9, "data", request: "9"))
        let answers = await c.answers()
        #expect(answers.contains(.rstStream(streamID: 1, status: SPDYFrame.refusedStream)))
        #expect(answers.contains(.rstStream(streamID: 3, status: SPDYFrame.refusedStream)))
        #expect(answers.contains(.rstStream(streamID: 5, status: SPDYFrame.refusedStream)))
        #expect(answers.contains(.synReply(streamID: 7, headers: [])))
        #expect(answers.contains(.rstStream(streamID: 9, status: SPDYFrame.protocolError)))
    }

    @Test func pingsAreEchoedAndGoAwayEndsTheSession() async throws {
        let c = try Client()
        _ = try c.send(.ping(id: 1), .settings([SPDYSetting(id: 7, value: 1 << 16)]), .windowUpdate(streamID: 0, delta: 10))
        #expect(!c.session.ended)
        _ = try c.send(.goAway(lastGoodStreamID: 0, status: 0), Self.stream(1, "error"))
        #expect(c.session.ended)
        #expect(await c.answers() == [.ping(id: 1)])
    }

    @Test func requestTargetsAndPorts() throws {
        #expect(try PortForwardRequest.parse(KubeletRequestTarget(uri: "/portForward/ns/p?port=80&port=8080"))
                == PortForwardRequest(namespace: "ns", pod: "p", ports: [80, 8080]))
        #expect(try PortForwardRequest.parse(KubeletRequestTarget(uri: "/portForward/ns/p/uid-1"))?.pod == "p")
        #expect(try PortForwardRequest.parse(KubeletRequestTarget(uri: "/exec/ns/p/c")) == nil)
        #expect(throws: KubeletStreamingError.self) { try PortForwardRequest.parse(KubeletRequestTarget(uri: "/portForward/ns/p?port=0")) }
        #expect(throws: KubeletStreamingError.self) { try PortForwardRequest.parse(KubeletRequestTarget(uri: "/portForward/ns")) }
        #expect(PortForwardRequest.offers(["SPDY/3.1+portforward.k8s.io, portforward.k8s.io"], PortForwardRequest.tunnelProtocol))
        #expect(!PortForwardRequest.offers(["v5.channel.k8s.io"], PortForwardRequest.spdyProtocol))
    }

    @Test func attachRequestsUseTheKubeletsParameters() throws {
        let r = try ExecRequest.parseAttach(KubeletRequestTarget(uri: "/attach/ns/p/c?input=1&output=1&tty=1&error=1"))
        #expect(r?.stdin == true && r?.tty == true && r?.stderr == false && r?.command == [])
        #expect(throws: KubeletStreamingError.self) { try ExecRequest.parseAttach(KubeletRequestTarget(uri: "/attach/ns/p/c")) }
        #expect(try ExecRequest.parseAttach(KubeletRequestTarget(uri: "/exec/ns/p/c?output=1&command=ls")) == nil)
    }
}
