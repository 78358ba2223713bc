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

            await #expect(throws: RuntimeError.self) {
                try await f.runtime.execSession(id: f.id("box"), args: ["sh"], tty: true, stdin: true)
            }
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
