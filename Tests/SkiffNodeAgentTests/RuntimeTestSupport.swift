import Foundation
import Glibc
@testable import SkiffNodeAgent

/// A busybox root filesystem and a runc runtime in a temporary directory.
final class RuntimeFixture: @unchecked Sendable {
    static let busybox = "/bin/busybox"
    static let applets = ["sh", "sleep", "cat", "env", "echo", "hostname", "readlink", "true", "dd", "tail", "head", "ls", "id", "stty"]

    /// Why the runtime tests cannot run here, or nil when they can.
    static var unavailable: String? {
        if getuid() != 0 { return "runtime tests need root" }
        if RuncRuntime.findOnPath("runc") == nil { return "runc is not installed (scripts/install-deps)" }
        if !FileManager.default.isExecutableFile(atPath: busybox) { return "busybox-static is not installed (scripts/install-deps)" }
        return nil
    }

    static var available: Bool { unavailable == nil }

    let dir: String
    let rootfs: String
    let logs: String
    let runtime: RuncRuntime
    let podUID = UUID().uuidString.lowercased()

    init() throws {
        dir = "/tmp/skiff-runtime-test-\(UUID().uuidString.prefix(8))"
        rootfs = "\(dir)/rootfs"
        logs = "\(dir)/logs"
        let fm = FileManager.default
        for d in ["bin", "proc", "dev", "sys", "tmp", "etc"] {
            try fm.createDirectory(atPath: "\(rootfs)/\(d)", withIntermediateDirectories: true)
        }
        try fm.createDirectory(atPath: logs, withIntermediateDirectories: true)
        try Self.copyCloseOnExec(Self.busybox, to: "\(rootfs)/bin/busybox")
        for a in Self.applets { try fm.createSymbolicLink(atPath: "\(rootfs)/bin/\(a)", withDestinationPath: "busybox") }
        runtime = try RuncRuntime(dataDir: "\(dir)/data")
    }

    /// Copies a file through close-on-exec descriptors. (FileManager's copy leaves its write
    /// descriptor inheritable: a runc spawned meanwhile by a parallel test passes it on to its
    /// container, and exec'ing the copy then fails with ETXTBSY while that container lives.)
    static func copyCloseOnExec(_ source: String, to target: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        defer { close(input); close(output) }
        guard input >= 0, output >= 0 else { throw RuntimeError("copy \(source) to \(target): \(String(cString: strerror(errno)))") }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            guard buf.withUnsafeBytes({ write(output, $0.baseAddress, n) }) == n else { throw RuntimeError("write \(target)") }
        }
    }

    func spec(_ name: String, _ args: [String]) -> ContainerSpec {
        var s = ContainerSpec(name: name, args: args)
        s.cgroupsPath = PodCgroups.containerPath(podUID: podUID, container: name)
        return s
    }

    func id(_ name: String) -> String { "\(podUID.prefix(8))-\(name)" }
    func logPath(_ name: String) -> String { "\(logs)/\(name).log" }

    /// Creates and starts a container.
    func start(_ spec: ContainerSpec) async throws {
        try await runtime.create(id: id(spec.name), spec: spec, rootfs: rootfs, logPath: logPath(spec.name))
        try await runtime.start(id: id(spec.name))
    }

    /// Runs a container to completion and deletes it; returns its exit and log lines.
    func run(_ spec: ContainerSpec) async throws -> (ExitStatus, [String]) {
        try await start(spec)
        let exit = try await runtime.wait(id: id(spec.name))
        try await runtime.delete(id: id(spec.name))
        return (exit, logLines(spec.name))
    }

    /// Polls until `condition` holds (at most 10 s): a container's process signals readiness
    /// only through its own output or its /proc entry.
    func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(10)
        while try await !condition() {
            if Date() > deadline { throw RuntimeError("timed out waiting for \(what)") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// Waits until the container's init has exec'd its command (runc's init is gone).
    func untilExeced(_ name: String, comm: String) async throws {
        let state = try await runtime.state(id: id(name))
        let pid = state.pid
        try await until("\(name) to run \(comm) (\(state), log \(logLines(name)))") {
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix(comm) == true
        }
    }

    func logLines(_ name: String) -> [String] {
        // Split on the scalar: "\r\n" (a terminal's line end) is one Character.
        let text = (try? String(contentsOfFile: logPath(name), encoding: .utf8)) ?? ""
        return text.unicodeScalars.split(separator: "\n").map { String(String.UnicodeScalarView($0)) }
    }

    /// The message parts of CRI log lines of one stream.
    func messages(_ name: String, stream: String = "stdout") -> [String] {
        logLines(name).compactMap { line in
            let f = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count == 4, f[1] == Substring(stream) else { return nil }
            return String(f[3])
        }
    }

    func cleanUp() async {
        for c in (try? await runtime.list()) ?? [] where c.id.hasPrefix(String(podUID.prefix(8))) {
            try? await runtime.delete(id: c.id)
        }
        PodCgroups.removePod(podUID: podUID)
        try? FileManager.default.removeItem(atPath: dir)
    }
}
