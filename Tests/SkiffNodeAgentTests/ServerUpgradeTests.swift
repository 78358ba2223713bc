import Foundation
import Glibc
import Logging
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// The agent's answers to upgrade requests it refuses or accepts, over a plain socket.
@Suite struct ServerUpgradeTests {
    /// Forwards to the host's loopback: the server's part is under test, not the Pod's namespace.
    struct LoopbackBackend: KubeletStreamingBackend {
        func logPath(namespace: String, pod: String, container: String, previous: Bool) async throws -> String? { nil }
        func isRunning(namespace: String, pod: String, container: String) async -> Bool { false }
        /// Host processes stand in for the container's.
        func exec(namespace: String, pod: String, container: String, command: [String], tty: Bool, stdin: Bool) async throws -> ExecSession {
            guard pod == "p" else { throw KubeletStreamingError.notFound("pod \"\(pod)\" container \"\(container)\" not found") }
            return try ExecSession.spawn(["/bin/sh", "-c"] + command, stdin: stdin)
        }
        func portForward(namespace: String, pod: String, port: Int) async throws -> Int32 {
            try Namespaces.dialLoopback(port: port, namespace: "host")
        }
    }

    static func withServer(_ body: @Sendable (Int) async throws -> Void) async throws {
        let server = try KubeletServer(configuration: .init(host: "127.0.0.1", port: 0, certificatePath: nil, keyPath: nil,
                                                            bearerTokens: ["t0ken"]),
                                       backend: LoopbackBackend(), logger: Logger(label: "test"))
        let (ports, portsIn) = AsyncStream<Int>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(onBound: { portsIn.yield($0) }) }
            var it = ports.makeAsyncIterator()
            guard let port = await it.next() else { return }
            try await body(port)
            group.cancelAll()
        }
    }

    /// Sends `request` and reads until the peer closes or `until` appears (at most 5 s).
    static func exchange(_ port: Int, _ request: String, until: String? = nil) throws -> String {
        let fd = try Namespaces.dialLoopback(port: port, namespace: "host")
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        FileDescriptorIO.writeAll(fd, Array(request.utf8))
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buf[0..<n]
            if let until, String(decoding: out, as: UTF8.self).contains(until) { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Runs blocking client code on a thread of its own, so the server's tasks keep the
    /// cooperative pool.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            Thread.detachNewThread { cont.resume(with: Result { try body() }) }
        }
    }

    static func upgrade(_ path: String, _ headers: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nConnection: Upgrade\r\n\(headers)\r\n"
    }

    @Test func refusedUpgradesAreAnsweredWithTheReason() async throws {
        try await Self.withServer { port in try await Self.blocking {
            let spdyExec = try Self.exchange(port, Self.upgrade("/exec/ns/p/c?command=ls&output=1",
                                                                "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: channel.k8s.io\r\n"))
            // Only v4 of the remote command protocol is spoken over SPDY.
            #expect(spdyExec.hasPrefix("HTTP/1.1 403") && spdyExec.contains("server supports [v4.channel.k8s.io]"), "\(spdyExec)")
            let noVersion = try Self.exchange(port, Self.upgrade("/portForward/ns/p", "Upgrade: SPDY/3.1\r\n"))
            #expect(noVersion.hasPrefix("HTTP/1.1 403") && noVersion.contains("unable to negotiate protocol"), "\(noVersion)")
            let ws = try Self.exchange(port, Self.upgrade("/portForward/ns/p", "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                                          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n"))
            #expect(ws.hasPrefix("HTTP/1.1 400"), "\(ws)")
        } }
    }

    /// A listening socket on the host's loopback; returns (fd, port).
    static func listener() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        listen(fd, 4)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    @Test func spdyPortForwardCopiesBothWaysAndReportsDialErrors() async throws {
        let (lfd, target) = try Self.listener()
        defer { close(lfd) }
        // The "Pod's" server: reads a line, answers it upper-cased, closes.
        Thread.detachNewThread {
            let c = accept(lfd, nil, nil)
            var buf = [UInt8](repeating: 0, count: 64)
            let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
            FileDescriptorIO.writeAll(c, Array(String(decoding: buf[0..<max(n, 0)], as: UTF8.self).uppercased().utf8))
            close(c)
        }
        try await Self.withServer { port in try await Self.blocking {
            let fd = try Namespaces.dialLoopback(port: port, namespace: "host")
            defer { close(fd) }
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            FileDescriptorIO.writeAll(fd, Array(Self.upgrade("/portForward/ns/p", "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n").utf8))
            // The 101, byte by byte up to the blank line (SPDY frames may follow it).
            var head: [UInt8] = []
            var one = [UInt8](repeating: 0, count: 1)
            while !head.suffix(4).elementsEqual([13, 10, 13, 10]), read(fd, &one, 1) == 1 { head += one }
            let headText = String(decoding: head, as: UTF8.self)
            #expect(headText.hasPrefix("HTTP/1.1 101") && headText.contains("X-Stream-Protocol-Version: portforward.k8s.io"), "\(headText)")
            let encoder = try SPDYFrameEncoder(), decoder = try SPDYFrameDecoder()
            func send(_ f: SPDYFrame) throws { FileDescriptorIO.writeAll(fd, try encoder.encode(f)) }
            func receive() throws -> SPDYFrame? {
                var buf = [UInt8](repeating: 0, count: 4096)
                while true {
                    if let f = try decoder.next() { return f }
                    let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { return nil }
                    decoder.append(buf[0..<n])
                }
            }
            for (id, type, p, req) in [(UInt32(1), "error", target, "0"), (3, "data", target, "0"), (5, "error", 1, "1"), (7, "data", 1, "1")] {
                try send(.synStream(streamID: id, headers: [SPDYHeader("streamType", type), SPDYHeader("port", String(p)), SPDYHeader("requestID", req)]))
            }
            try send(.data(streamID: 3, fin: true, Array("hello\n".utf8)))
            var data: [UInt8] = [], errors: [UInt32: String] = [:], replies: Set<UInt32> = [], finished: Set<UInt32> = []
            while finished.count < 4, let f = try receive() {
                switch f {
                case .synReply(let id, _, _): replies.insert(id)
                case .data(3, let fin, let bytes): data += bytes; if fin { finished.insert(3) }
                case .data(let id, let fin, let bytes):
                    errors[id, default: ""] += String(decoding: bytes, as: UTF8.self)
                    if fin { finished.insert(id) }
                default: break
                }
            }
            #expect(replies == [1, 3, 5, 7])
            #expect(String(decoding: data, as: UTF8.self) == "HELLO\n")
            #expect(errors[1] == "")
            #expect(errors[5]?.hasPrefix("error forwarding port 1 to pod p, uid : failed to connect to localhost:1") == true, "\(errors)")
            #expect(errors[5]?.hasSuffix("connect: connection refused") == true, "\(errors)")
        } }
    }

    @Test func spdyExecRunsTheCommandWithStdinAndReportsTheExitCode() async throws {
        try await Self.withServer { port in try await Self.blocking {
            let fd = try Namespaces.dialLoopback(port: port, namespace: "host")
            defer { close(fd) }
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            FileDescriptorIO.writeAll(fd, Array(Self.upgrade("/exec/ns/p/c?command=read%20x%3B%20echo%20got%3A%24x%3B%20echo%20e%20%3E%262%3B%20exit%204&input=1&output=1&error=1",
                                                             "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v5.channel.k8s.io\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n").utf8))
            var head: [UInt8] = []
            var one = [UInt8](repeating: 0, count: 1)
            while !head.suffix(4).elementsEqual([13, 10, 13, 10]), read(fd, &one, 1) == 1 { head += one }
            let headText = String(decoding: head, as: UTF8.self)
            #expect(headText.hasPrefix("HTTP/1.1 101") && headText.contains("X-Stream-Protocol-Version: v4.channel.k8s.io"), "\(headText)")
            let encoder = try SPDYFrameEncoder(), decoder = try SPDYFrameDecoder()
            func send(_ f: SPDYFrame) throws { FileDescriptorIO.writeAll(fd, try encoder.encode(f)) }
            for (id, type) in [(UInt32(1), "error"), (3, "stdin"), (5, "stdout"), (7, "stderr")] {
                try send(.synStream(streamID: id, headers: [SPDYHeader("streamType", type)]))
            }
            try send(.data(streamID: 3, fin: true, Array("spdy\n".utf8)))
            var streams: [UInt32: [UInt8]] = [:], finished: Set<UInt32> = []
            var buf = [UInt8](repeating: 0, count: 4096)
            reading: while finished.count < 3 {
                while let f = try decoder.next() {
                    if case .data(let id, let fin, let bytes) = f {
                        streams[id, default: []] += bytes
                        if fin { finished.insert(id) }
                    }
                }
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break reading }
                decoder.append(buf[0..<n])
            }
            #expect(String(decoding: streams[5] ?? [], as: UTF8.self) == "got:spdy\n")
            #expect(String(decoding: streams[7] ?? [], as: UTF8.self) == "e\n")
            let status = try JSON.parse(streams[1] ?? [])
            #expect(status["reason"] == "NonZeroExitCode")
            #expect(status["details", "causes"]?.array?.first?["message"] == "4")
        } }
    }
}
