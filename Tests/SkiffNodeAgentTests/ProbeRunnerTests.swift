import Foundation
import Glibc
import Testing
@testable import SkiffNodeAgent

/// The network probes against listeners on 127.0.0.1 made here.
struct ProbeRunnerTests {
    /// A TCP listener on 127.0.0.1 (an ephemeral port); each accepted connection gets `reply`
    /// (nil: closed at once) after its request is read. Closed at the end of `body`.
    static func withListener<T>(reply: String?, _ body: (Int) async throws -> T) async throws -> T {
        let (fd, port) = silentListener()
        #expect(fd >= 0)
        // The thread ends before the descriptor is closed: a thread still calling accept on a
        // closed (and reused) descriptor number would take another test's connections.
        let finished = DispatchSemaphore(value: 0)
        let server = Thread {
            defer { finished.signal() }
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                // The whole request head, so closing does not reset the connection (unread data
                // makes close send RST, which can discard the reply before the client reads it).
                var request: [UInt8] = []
                var buf = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(c, &buf, buf.count)
                    if n <= 0 { break }
                    request += buf[0..<n]
                    if request.count >= 4, request.suffix(4) == Array("\r\n\r\n".utf8)[...] { break }
                }
                if let reply { _ = Array(reply.utf8).withUnsafeBytes { write(c, $0.baseAddress, $0.count) } }
                close(c)
            }
        }
        server.start()
        defer {
            shutdown(fd, Int32(SHUT_RDWR))  // accept fails from now on
            finished.wait()
            close(fd)
        }
        return try await body(port)
    }

    static func closedPort() async throws -> Int {
        try await withListener(reply: nil) { $0 }  // free again once the listener is closed
    }

    /// A listening socket on 127.0.0.1 that nobody accepts on: connections complete in the
    /// kernel's backlog and then hear nothing. Returns its descriptor (the caller closes it) and port.
    static func silentListener() -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    @Test func tcpSocketSucceedsOnAnOpenPortAndIsRefusedOnAClosedOne() async throws {
        let ok = try await Self.withListener(reply: nil) { port in await TCPProbe(host: "127.0.0.1", port: port).run(timeout: 1) }
        #expect(ok.success)
        let port = try await Self.closedPort()
        let refused = await TCPProbe(host: "127.0.0.1", port: port).run(timeout: 1)
        #expect(!refused.success)
        #expect(refused.message == "dial tcp 127.0.0.1:\(port): connect: connection refused")
    }

    @Test(arguments: [(200, true), (302, true), (399, true), (404, false), (503, false)])
    func httpGetSucceedsFrom200To399(_ status: Int, _ success: Bool) async throws {
        let reply = "HTTP/1.1 \(status) X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        let result = try await Self.withListener(reply: reply) { port in
            await HTTPProbe(host: "127.0.0.1", port: port, path: "/healthz", scheme: "HTTP", headers: []).run(timeout: 2)
        }
        #expect(result.success == success)
        if !success { #expect(result.message == "HTTP probe failed with statuscode: \(status)") }
    }

    @Test func localRedirectsAreFollowedOthersEndTheProbe() {
        let p = HTTPProbe(host: "10.0.0.5", port: 8080, path: "/a/b", scheme: "HTTP", headers: [])
        #expect(p.localRedirect("/login?x=1", from: "/a/b") == "/login?x=1")
        #expect(p.localRedirect("c", from: "/a/b") == "/a/c")
        #expect(p.localRedirect("http://10.0.0.5:8080/z", from: "/a/b") == "/z")
        #expect(p.localRedirect("http://10.0.0.6:8080/z", from: "/a/b") == nil)
        #expect(p.localRedirect("https://10.0.0.5:8080/z", from: "/a/b") == nil)
        #expect(p.localRedirect("http://10.0.0.5/z", from: "/a/b") == nil)
    }

    @Test func aRedirectLoopFails() async throws {
        let reply = "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        let r = try await Self.withListener(reply: reply) { port in
            await HTTPProbe(host: "127.0.0.1", port: port, path: "/", scheme: "HTTP", headers: []).run(timeout: 5)
        }
        #expect(!r.success)
        #expect(r.message.hasSuffix("stopped after 10 redirects"))
    }

    @Test func aRedirectElsewhereSucceeds() async throws {
        let reply = "HTTP/1.1 302 Found\r\nLocation: http://10.255.255.1/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        let r = try await Self.withListener(reply: reply) { port in
            await HTTPProbe(host: "127.0.0.1", port: port, path: "/", scheme: "HTTP", headers: []).run(timeout: 5)
        }
        #expect(r.success)
    }

    @Test func httpGetRefusedReadsLikeTheKubelet() async throws {
        let port = try await Self.closedPort()
        let r = await HTTPProbe(host: "127.0.0.1", port: port, path: "/", scheme: "HTTP", headers: []).run(timeout: 1)
        #expect(!r.success)
        #expect(r.message == "Get \"http://127.0.0.1:\(port)/\": dial tcp 127.0.0.1:\(port): connect: connection refused")
    }

    @Test func httpGetTimesOutWhenNoAnswerComes() async throws {
        // A listener that never answers (nobody reads the accepted connection's request in time).
        let (fd, port) = Self.silentListener()
        defer { close(fd) }
        let r = await HTTPProbe(host: "127.0.0.1", port: port, path: "/", scheme: "HTTP", headers: []).run(timeout: 1)
        #expect(!r.success)
        #expect(r.message.hasSuffix("context deadline exceeded (Client.Timeout exceeded while awaiting headers)"))
    }
}
