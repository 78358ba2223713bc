import Foundation
import Glibc
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// `tty`, `stdin` and `stdinOnce` in the spec and the OCI config (no runc needed).
struct RuntimeTerminalSpecTests {
    func pod(_ container: JSON) -> JSON {
        ["metadata": ["uid": "u1"], "spec": ["containers": [container]]]
    }

    @Test func ttyStdinAndStdinOnceComeFromTheContainer() throws {
        let image = ImageConfig(cmd: ["sh"])
        let s = try ContainerSpec.forPod(pod(["name": "a", "tty": true, "stdin": true, "stdinOnce": true]), container: "a",
                                         image: image, infraPid: nil, nodeMemoryBytes: 1 << 30)
        #expect(s.tty && s.stdin && s.stdinOnce)
        // As containerd's WithTTY: a terminal comes with TERM=xterm, unless the container sets TERM.
        #expect(s.env.contains("TERM=xterm"))
        #expect(OCIBundle.config(for: s, rootfs: "/r")["process", "terminal"]?.bool == true)

        let own = try ContainerSpec.forPod(pod(["name": "a", "tty": true, "env": [["name": "TERM", "value": "vt100"]]]), container: "a",
                                           image: image, env: [("TERM", "vt100")], infraPid: nil, nodeMemoryBytes: 1 << 30)
        #expect(own.env.filter { $0.hasPrefix("TERM=") } == ["TERM=vt100"])

        let plain = try ContainerSpec.forPod(pod(["name": "a", "stdinOnce": true]), container: "a", image: image,
                                             infraPid: nil, nodeMemoryBytes: 1 << 30)
        // stdinOnce means nothing without stdin.
        #expect(!plain.tty && !plain.stdin && !plain.stdinOnce)
        #expect(!plain.env.contains { $0.hasPrefix("TERM=") })
        #expect(OCIBundle.config(for: plain, rootfs: "/r")["process", "terminal"]?.bool == false)
    }
}

/// Containers on a terminal through runc: output logged as stdout, attach input and resize,
/// and stdinOnce closing stdin after the first attached client.
@Suite(.enabled(if: RuntimeFixture.available, "\(RuntimeFixture.unavailable ?? "")"), .timeLimit(.minutes(1)))
struct RuntimeTerminalTests {
    /// Reads `output` until `done` holds for what was read (or the output ends).
    static func read(_ output: AsyncStream<(String, [UInt8])>, until done: (String) -> Bool = { _ in false }) async -> (String, Set<String>) {
        var bytes: [UInt8] = [], streams: Set<String> = []
        for await (stream, chunk) in output {
            bytes += chunk
            streams.insert(stream)
            if done(String(decoding: bytes, as: UTF8.self)) { break }
        }
        return (String(decoding: bytes, as: UTF8.self), streams)
    }

    @Test func attachWritesToTheTerminalAndResizesIt() async throws {
        try await withFixture { f in
            var spec = f.spec("tty", ["sh", "-c", "echo started; read line; stty size; echo got:$line >&2; exit 3"])
            spec.tty = true
            spec.stdin = true
            try await f.start(spec)
            try await f.until("the first output") { f.messages("tty").contains { $0.hasPrefix("started") } }
            let session = try f.runtime.attach(id: f.id("tty"), stdin: true)
            #expect(session.hasTerminal)
            session.resize(width: 100, height: 30)
            let stdin = try #require(session.stdin)
            #expect(FileDescriptorIO.writeAll(stdin, Array("abc\n".utf8)))
            close(stdin)
            session.closedStdin()
            let (screen, streams) = await Self.read(session.output)
            // The terminal merges stderr into its output, and the echo of the input shows.
            #expect(screen.contains("abc\r\n"), "\(screen.debugDescription)")
            #expect(screen.contains("30 100\r\n"), "\(screen.debugDescription)")
            #expect(screen.contains("got:abc\r\n"), "\(screen.debugDescription)")
            #expect(streams == ["stdout"])
            #expect(try await f.runtime.wait(id: f.id("tty")).exitCode == 3)
            // Everything is logged as stdout (lines end with the terminal's \r).
            #expect(f.messages("tty").contains("got:abc\r"), "\(f.logLines("tty"))")
            #expect(f.messages("tty", stream: "stderr").isEmpty)
        }
    }

    @Test func withoutStdinAnAttachedClientGetsNoInput() async throws {
        try await withFixture { f in
            var spec = f.spec("quiet", ["sleep", "3600"])
            spec.tty = true
            try await f.start(spec)
            let session = try f.runtime.attach(id: f.id("quiet"), stdin: true)
            #expect(session.stdin == nil)
            #expect(session.hasTerminal)
            _ = try await f.runtime.stop(id: f.id("quiet"), grace: 0)
        }
    }

    @Test func stdinOnceHangsUpTheTerminalAfterTheFirstClient() async throws {
        try await withFixture { f in
            var spec = f.spec("once", ["sh"])
            spec.tty = true
            spec.stdin = true
            spec.stdinOnce = true
            try await f.start(spec)
            let session = try f.runtime.attach(id: f.id("once"), stdin: true)
            let stdin = try #require(session.stdin)
            #expect(FileDescriptorIO.writeAll(stdin, Array("echo hello-$((6*7))\n".utf8)))
            let (screen, _) = await Self.read(session.output) { $0.contains("hello-42\r\n") }
            #expect(screen.contains("hello-42\r\n"), "\(screen.debugDescription)")
            close(stdin)
            session.closedStdin()
            // Later clients get no stdin; the shell reads EOF from its hung-up terminal and exits.
            #expect(try f.runtime.attach(id: f.id("once"), stdin: true).stdin == nil)
            _ = try await f.runtime.wait(id: f.id("once"))
            #expect(f.messages("once").contains("hello-42\r"), "\(f.logLines("once"))")
        }
    }

    @Test func stdinOnceWithoutTerminalEndsStdinAfterTheFirstClient() async throws {
        try await withFixture { f in
            var spec = f.spec("cat", ["cat"])
            spec.stdin = true
            spec.stdinOnce = true
            try await f.start(spec)
            let session = try f.runtime.attach(id: f.id("cat"), stdin: true)
            #expect(!session.hasTerminal)
            let stdin = try #require(session.stdin)
            #expect(FileDescriptorIO.writeAll(stdin, Array("one\n".utf8)))
            close(stdin)
            session.closedStdin()
            #expect(try await f.runtime.wait(id: f.id("cat")).exitCode == 0)
            #expect(f.messages("cat") == ["one"])
        }
    }

    @Test func stdinWithoutStdinOnceStaysOpenAfterAClientLeaves() async throws {
        try await withFixture { f in
            var spec = f.spec("keep", ["cat"])
            spec.stdin = true
            try await f.start(spec)
            for word in ["first", "second"] {
                let session = try f.runtime.attach(id: f.id("keep"), stdin: true)
                let stdin = try #require(session.stdin)
                #expect(FileDescriptorIO.writeAll(stdin, Array("\(word)\n".utf8)))
                close(stdin)
                session.closedStdin()
                try await f.until("\(word) logged") { f.messages("keep").contains(word) }
            }
            #expect(try await f.runtime.state(id: f.id("keep")).status == "running")
            _ = try await f.runtime.stop(id: f.id("keep"), grace: 0)
        }
    }
}

struct StdioKeeperRecordTests {
    @Test func recordRoundTrips() {
        let r = StdioKeeper.Record(pid: 42, terminal: true, stdin: true, stdinOnce: false)
        #expect(StdioKeeper.Record(parsing: r.text) == r)
        var closed = r
        closed.stdinClosed = true
        #expect(StdioKeeper.Record(parsing: closed.text)?.stdinClosed == true)
        #expect(StdioKeeper.Record(parsing: "terminal=1\n") == nil)
        #expect(StdioKeeper.Record(parsing: "keeper=abc\n") == nil)
    }
}
