import Foundation

/// Runs a program to completion with stdin from, and stdout and stderr into, scratch files (no
/// pipe can fill up), on a thread of its own so the caller's executor is never blocked.
enum Command {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ path: String, _ arguments: [String], stdin: String = "") async throws -> Output {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Output, any Error>) in
            Thread.detachNewThread {
                cont.resume(with: Result { try runBlocking(path, arguments, stdin: stdin) })
            }
        }
    }

    static func runBlocking(_ path: String, _ arguments: [String], stdin: String) throws -> Output {
        let base = NSTemporaryDirectory() + "skiff-proxy-" + UUID().uuidString
        let files = [base + ".in", base + ".out", base + ".err"]
        defer { for f in files { try? FileManager.default.removeItem(atPath: f) } }
        guard FileManager.default.createFile(atPath: files[0], contents: Data(stdin.utf8)),
              FileManager.default.createFile(atPath: files[1], contents: nil),
              FileManager.default.createFile(atPath: files[2], contents: nil),
              let input = FileHandle(forReadingAtPath: files[0]),
              let output = FileHandle(forWritingAtPath: files[1]),
              let errors = FileHandle(forWritingAtPath: files[2]) else {
            throw ProxyError(.io, "cannot make scratch files at \(base)")
        }
        defer { try? input.close(); try? output.close(); try? errors.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw ProxyError(.commandFailed, "cannot start \(path): \(error)")
        }
        process.waitUntilExit()
        let out = FileManager.default.contents(atPath: files[1]) ?? Data()
        let err = FileManager.default.contents(atPath: files[2]) ?? Data()
        return Output(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
    }

    /// The first executable `name` in PATH (plus the sbin directories, which a non-login root
    /// shell may lack).
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
