import Foundation
import Glibc
import Testing
@testable import SkiffNodeAgent

/// `RuncRuntime.execSession`, what the agent's `exec` backend runs: `runc exec` with pipes.
@Suite(.enabled(if: RuntimeFixture.available, "\(RuntimeFixture.unavailable ?? "")"), .timeLimit(.minutes(1)))
struct ServerRuncExecTests {
    @Test func execSessionPipesStdioAndReportsTheExitCode() async throws {
        try await withFixture { f in
            try await f.start(f.spec("box", ["sleep", "3600"]))
            let session = try await f.runtime.execSession(id: f.id("box"), args: ["sh", "-c", "cat; echo err >&2; exit 4"],
                                                          tty: false, stdin: true)
            let stdin = try #require(session.stdin)
            #expect(FileDescriptorIO.writeAll(stdin, Array("hello from stdin\n".utf8)))
            close(stdin)
            let stdout = try #require(session.stdout), stderr = try #require(session.stderr)
            async let out = Self.readAll(stdout)
            async let err = Self.readAll(stderr)
            #expect(await out == "hello from stdin\n")
            #expect(await err == "err\n")
            #expect(await session.wait() == 4)

            let quiet = try await f.runtime.execSession(id: f.id("box"), args: ["true"], tty: false, stdin: false)
            #expect(quiet.stdin == nil)
            _ = await (Self.readAll(quiet.stdout!), Self.readAll(quiet.stderr!))
            #expect(await quiet.wait() == 0)

            // With a terminal: input is echoed, output comes on the terminal, the exit code still arrives.
            let tty = try await f.runtime.execSession(id: f.id("box"), args: ["sh", "-c", "read line; echo got:$line; exit 3"],
                                                      tty: true, stdin: true)
            tty.resize(width: 100, height: 30)
            let terminal = try #require(tty.stdin)
            #expect(FileDescriptorIO.writeAll(terminal, Array("abc\n".utf8)))
            let screen = await Self.readAll(try #require(tty.stdout))
            close(terminal)
            #expect(screen.contains("got:abc\r\n"), "\(screen.debugDescription)")
            #expect(await tty.wait() == 3)
            #expect(tty.stderr == nil)
            // runc's own failure comes back as the error, without waiting out the terminal.
            let began = Date()
            await #expect(throws: RuntimeError.self) {
                try await f.runtime.execSession(id: f.id("box"), args: ["no-such-command"], tty: true, stdin: true)
            }
            #expect(Date().timeIntervalSince(began) < 5)
            _ = try await f.runtime.stop(id: f.id("box"), grace: 0)
            await #expect(throws: RuntimeError.self) {
                try await f.runtime.execSession(id: f.id("box"), args: ["true"], tty: false, stdin: false)
            }
        }
    }

    static func readAll(_ fd: Int32) async -> String {
        var bytes: [UInt8] = []
        for await chunk in FileDescriptorIO.chunks(of: fd) { bytes += chunk }
        return String(decoding: bytes, as: UTF8.self)
    }
}
