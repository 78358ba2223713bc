import CSkiffRuntime
import Foundation
import Glibc
import SkiffModel

/// One invocation of a CNI plugin binary, as the CNI specification 1.0.0 describes it: the
/// operation and its parameters in `CNI_*` environment variables, the network configuration on
/// stdin, a result (or an error object) on stdout.
struct CNIInvocation: Sendable {
    var command: String
    var containerID: String
    /// Empty when the namespace is gone (allowed for DEL).
    var netns: String
    var ifName: String
    /// `CNI_ARGS`: `KEY=VALUE` pairs separated by `;`.
    var args: [(String, String)] = []

    var environment: [String] {
        var env = ["CNI_COMMAND=\(command)", "CNI_CONTAINERID=\(containerID)", "CNI_NETNS=\(netns)", "CNI_IFNAME=\(ifName)"]
        if !args.isEmpty { env.append("CNI_ARGS=" + args.map { "\($0.0)=\($0.1)" }.joined(separator: ";")) }
        return env
    }
}

/// Runs CNI plugins from one directory, optionally inside another network namespace (the
/// "host" namespace of a test).
struct CNIPluginRunner: Sendable {
    static let portmapCalls = SerialQueue()

    let pluginDirectory: String
    /// A scratch directory for the plugins' stdin and stdout files.
    let scratchDirectory: String
    /// When set, plugins run as `nsenter --net=<path> -- <plugin>`.
    let hostNetnsPath: String?
    let nsenterPath: String?
    /// A plugin still running after this long is killed (and its call fails).
    let timeout: Duration

    init(pluginDirectory: String, scratchDirectory: String, hostNetnsPath: String?, timeout: Duration = .seconds(120)) throws {
        self.pluginDirectory = pluginDirectory
        self.scratchDirectory = scratchDirectory
        self.hostNetnsPath = hostNetnsPath
        self.timeout = timeout
        if let hostNetnsPath {
            guard let nsenter = RuncRuntime.findOnPath("nsenter") else {
                throw NetworkError(.pluginNotFound, "nsenter (util-linux) not found on PATH; it is needed to run the CNI plugins in \(hostNetnsPath)")
            }
            nsenterPath = nsenter
        } else {
            nsenterPath = nil
        }
    }

    func path(of plugin: String) -> String { "\(pluginDirectory)/\(plugin)" }

    /// Throws `pluginNotFound` unless every plugin is an executable file of the directory.
    func requirePlugins(_ names: [String]) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pluginDirectory, isDirectory: &isDir), isDir.boolValue else {
            throw NetworkError(.pluginNotFound, "CNI plugin directory \(pluginDirectory) does not exist (install containernetworking-plugins)")
        }
        for name in names where access(path(of: name), X_OK) != 0 {
            throw NetworkError(.pluginNotFound, "CNI plugin \"\(name)\" not found in \(pluginDirectory) (install containernetworking-plugins)")
        }
    }

    /// Runs `plugin` with `config` on stdin; returns what it printed on success (empty for DEL),
    /// throws a `NetworkError` carrying the plugin's CNI error otherwise.
    /// `portmap` runs one call at a time: two first ADDs at once race to create its shared
    /// iptables chains, and the loser fails with "chain already exists".
    func run(_ plugin: String, _ invocation: CNIInvocation, config: JSON) async throws -> [UInt8] {
        try requirePlugins([plugin])
        let path = path(of: plugin), stdin = config.serialized()
        let (status, out, err) = plugin == "portmap"
            ? try await Self.portmapCalls.run { try await exec(path, invocation, stdin: stdin) }
            : try await exec(path, invocation, stdin: stdin)
        if status == 0 { return out }
        throw Self.error(plugin: plugin, command: invocation.command, status: status, stdout: out, stderr: err)
    }

    /// The error of a failed plugin: its CNI error object when it printed one, else its stderr.
    static func error(plugin: String, command: String, status: Int32, stdout: [UInt8], stderr: [UInt8]) -> NetworkError {
        let errText = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let j = try? JSON.parse(stdout), let code = j["code"]?.int {
            let msg = j["msg"]?.string ?? ""
            let details = j["details"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            var text = "CNI plugin \(plugin) \(command) failed: \(msg)"
            if let details { text += " (\(details))" }
            if let meaning = NetworkError.meaning(ofCNICode: Int(code)) { text += " [CNI error \(code): \(meaning)]" } else { text += " [CNI error \(code)]" }
            return NetworkError(.pluginFailed, text, cniCode: Int(code), cniMessage: msg, cniDetails: details)
        }
        let shown = errText.isEmpty ? String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : errText
        return NetworkError(.pluginFailed, "CNI plugin \(plugin) \(command) exited with status \(status)" + (shown.isEmpty ? "" : ": \(shown)"))
    }

    /// Spawns the plugin with the same helpers the runc runtime uses (`skiff_spawn`, `Reaper`).
    func exec(_ plugin: String, _ invocation: CNIInvocation, stdin: [UInt8]) async throws -> (Int32, [UInt8], [UInt8]) {
        try await exec(plugin, arguments: [], environment: invocation.environment + ["CNI_PATH=\(pluginDirectory)"], stdin: stdin)
    }

    /// Runs `program` (in the host network namespace when one is set) with stdin, stdout and
    /// stderr in files of the scratch directory; returns its exit code and output.
    func exec(_ program: String, arguments: [String], environment: [String] = [], stdin: [UInt8] = []) async throws -> (Int32, [UInt8], [UInt8]) {
        let base = "\(scratchDirectory)/.cni-\(UUID().uuidString)"
        do {
            try Data(stdin).write(to: URL(fileURLWithPath: base + ".in"))
        } catch {
            throw NetworkError(.io, "write \(base).in: \(error)")
        }
        let inFD = open(base + ".in", O_RDONLY | O_CLOEXEC)
        let outFD = open(base + ".out", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errFD = open(base + ".err", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            for fd in [inFD, outFD, errFD] where fd >= 0 { close(fd) }
            for suffix in [".in", ".out", ".err"] { unlink(base + suffix) }
        }
        guard inFD >= 0, outFD >= 0, errFD >= 0 else {
            throw NetworkError(.io, "open \(base): \(String(cString: strerror(errno)))")
        }
        var argv = [program] + arguments
        var executable = program
        if let hostNetnsPath, let nsenterPath {
            argv = [nsenterPath, "--net=\(hostNetnsPath)", "--"] + argv
            executable = nsenterPath
        }
        let inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CNI_") }.map { "\($0.key)=\($0.value)" }
        let env = inherited + environment
        let pid = withCStrings(argv) { a in withCStrings(env) { e in skiff_spawn(executable, a, e, inFD, outFD, errFD) } }
        if pid < 0 { throw NetworkError(.io, "spawn \(executable): \(String(cString: strerror(-pid)))") }
        guard let status = await Self.wait(pid: pid, timeout: timeout) else {
            throw NetworkError(.pluginFailed, "\(argv.joined(separator: " ")) did not finish within \(timeout); killed")
        }
        let out = [UInt8](FileManager.default.contents(atPath: base + ".out") ?? Data())
        let err = [UInt8](FileManager.default.contents(atPath: base + ".err") ?? Data())
        return (status.exitCode, out, err)
    }

    /// Waits for the child; kills it and returns nil when it runs longer than `timeout`.
    /// Cancelling the caller does not stop the wait (a plugin killed halfway would leave a
    /// half-made attachment).
    static func wait(pid: Int32, timeout: Duration) async -> ExitStatus? {
        let watchdog = Watchdog()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        Thread.detachNewThread { watchdog.run(until: Date().addingTimeInterval(seconds)) { Glibc.kill(pid, SIGKILL) } }
        let status = await Reaper.wait(pid: pid)
        return watchdog.finish() ? nil : status
    }
}

/// Kills a plugin at a deadline unless it finished first.
final class Watchdog: @unchecked Sendable {  // state guarded by `condition`
    private let condition = NSCondition()
    private var finished = false
    private var fired = false

    func run(until deadline: Date, fire: () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        while !finished {
            if !condition.wait(until: deadline) {
                if !finished {
                    fire()
                    fired = true
                }
                return
            }
        }
    }

    /// Marks the process finished; returns whether the watchdog had killed it.
    func finish() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        finished = true
        condition.signal()
        return fired
    }
}

/// Runs the bodies given to `run` one at a time, in the order they arrive.
actor SerialQueue {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
