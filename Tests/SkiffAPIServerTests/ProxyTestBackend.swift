import Foundation
import Synchronization
@testable import SkiffNodeAgent

/// The agent's streaming backend for tests: a "container" is a `/bin/sh -c` script on the host
/// whose stdout and stderr go to a CRI log file through the agent's own `CRILogWriter`; `exec`
/// runs host processes. Only the streaming path is under test here, not the runtime.
final class HostProcessBackend: KubeletStreamingBackend {
    struct Container {
        var log: String
        var previousLog: String?
        var running: Bool
        var attempt: Int
    }

    let directory: String
    let containers = Mutex<[String: Container]>([:])

    init(directory: String) {
        self.directory = directory
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    static func key(_ ns: String, _ pod: String, _ container: String) -> String { "\(ns)/\(pod)/\(container)" }

    /// Starts (or restarts) a container running `script`; returns a wait for its exit code, which
    /// returns once the log is drained and the container counts as stopped.
    @discardableResult
    func run(namespace: String = "default", pod: String, container: String, script: String) throws -> @Sendable () async -> Int32 {
        let key = Self.key(namespace, pod, container)
        let attempt = (containers.withLock { $0[key]?.attempt } ?? -1) + 1
        let path = "\(directory)/\(namespace)_\(pod)_\(container)_\(attempt).log"
        let writer = try CRILogWriter(path: path)
        let session = try ExecSession.spawn(["/bin/sh", "-c", script], stdin: false)
        writer.copy(session.stdout!, stream: "stdout")
        writer.copy(session.stderr!, stream: "stderr")
        containers.withLock { all in
            all[key] = Container(log: path, previousLog: all[key]?.log, running: true, attempt: attempt)
        }
        let ended = Task { [self] in
            let code = await session.wait()
            await KubectlResult.onThread { writer.drain(timeout: 2) }
            containers.withLock { all in
                if all[key]?.attempt == attempt { all[key]?.running = false }
            }
            return code
        }
        return { await ended.value }
    }

    func logPath(namespace: String, pod: String, container: String, previous: Bool) async throws -> String? {
        guard let c = containers.withLock({ $0[Self.key(namespace, pod, container)] }) else { return nil }
        if previous {
            guard let p = c.previousLog else {
                throw KubeletStreamingError.badRequest("previous terminated container \"\(container)\" in pod \"\(pod)\" not found")
            }
            return p
        }
        return c.log
    }

    func isRunning(namespace: String, pod: String, container: String) async -> Bool {
        containers.withLock { $0[Self.key(namespace, pod, container)]?.running ?? false }
    }

    func exec(namespace: String, pod: String, container: String, command: [String], tty: Bool, stdin: Bool) async throws -> ExecSession {
        guard containers.withLock({ $0[Self.key(namespace, pod, container)]?.running }) == true else {
            throw KubeletStreamingError(status: 500, "container \"\(container)\" is not running")
        }
        if tty { throw KubeletStreamingError.badRequest("a terminal is not supported by the test backend") }
        guard let name = command.first else { throw KubeletStreamingError.badRequest("no command") }
        guard let path = name.contains("/") ? name : RuncRuntime.findOnPath(name) else {
            throw KubeletStreamingError(status: 500, "executable file not found in $PATH: \(name)")
        }
        return try ExecSession.spawn([path] + command.dropFirst(), stdin: stdin)
    }
}
