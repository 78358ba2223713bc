import CSkiffRuntime
import Foundation
import Glibc
import SkiffModel

/// `ContainerRuntime` on runc. State lives under `<dataDir>/runc` (runc's `--root`), bundles
/// under `<dataDir>/bundles/<id>`. The process becomes a child subreaper, so each container's
/// init is re-parented to it when runc exits and its exit status is collected with waitpid.
public final class RuncRuntime: ContainerRuntime, @unchecked Sendable {
    public let runcPath: String
    public let stateRoot: String
    public let bundleRoot: String

    /// The lowest oom_score_adj this process may give its containers (lowering it needs
    /// CAP_SYS_RESOURCE, which a node agent running inside a container may lack).
    public let minOOMScoreAdj: Int
    private let lock = NSLock()
    private var exits: [String: ExitWatch] = [:]
    /// What the agent holds of each container's stdin (its terminal, or its stdin FIFO).
    private var stdio: [String: ContainerStdio] = [:]

    public init(dataDir: String, runcPath: String? = nil) throws {
        guard let path = runcPath ?? Self.findOnPath("runc") else { throw RuntimeError("runc not found on PATH") }
        self.runcPath = path
        stateRoot = "\(dataDir)/runc"
        bundleRoot = "\(dataDir)/bundles"
        try FileSystem.makeDirectories(stateRoot)
        try FileSystem.makeDirectories(bundleRoot)
        minOOMScoreAdj = Self.protectSelfFromOOM()
        if skiff_set_child_subreaper() != 0 {
            throw RuntimeError("prctl(PR_SET_CHILD_SUBREAPER): \(String(cString: strerror(errno)))")
        }
    }

    /// As the kubelet: the agent's own oom_score_adj becomes -999 when allowed; returns the
    /// value it has afterwards.
    static func protectSelfFromOOM() -> Int {
        try? Array("-999".utf8).write(toProcFile: "/proc/self/oom_score_adj")
        return Int((FileSystem.read("/proc/self/oom_score_adj") ?? "0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    public static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(name)"
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    func bundle(_ id: String) -> String { "\(bundleRoot)/\(id)" }

    // MARK: lifecycle

    public func create(id: String, spec: ContainerSpec, rootfs: String, logPath: String) async throws {
        let dir = bundle(id)
        var spec = spec
        spec.oomScoreAdj = max(spec.oomScoreAdj, minOOMScoreAdj)
        try OCIBundle.write(spec, rootfs: rootfs, bundle: dir)
        let log = try CRILogWriter(path: logPath)
        let io = spec.tty ? try await createOnTerminal(id: id, bundle: dir, log: log, spec: spec)
                          : try await createOnFIFOs(id: id, bundle: dir, log: log, spec: spec)
        guard let pidText = FileSystem.read("\(dir)/pid"), let pid = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            io.release()
            throw RuntimeError("runc create \(id): no pid file")
        }
        io.keep(container: pid)
        let watch = ExitWatch(pid: pid, log: log, memoryCgroup: Self.memoryCgroup(spec.cgroupsPath))
        lock.withLock {
            exits[id] = watch
            stdio[id] = io
        }
        watch.begin()
    }

    /// A FIFO at `path` (replacing any file there): a blocking read end for the agent and a
    /// read-write end for the container.
    static func makeFIFO(_ path: String) throws -> (Int32, Int32) {
        unlink(path)
        guard mkfifo(path, 0o600) == 0 else { throw RuntimeError("mkfifo \(path): \(String(cString: strerror(errno)))") }
        return (try openFIFOReader(path), open(path, O_RDWR | O_CLOEXEC))
    }

    /// Opens a FIFO's read end without waiting for a writer, then makes reads block.
    static func openFIFOReader(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError("open \(path): \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Takes over a container another agent process created (found with `list` after a
    /// restart): its output is copied to `logPath` again from the bundle's FIFOs, and `wait`
    /// works for it. That process was the container's parent, so its exit code is lost:
    /// `wait` reports exit code -1 once the process is gone (an OOM kill is still recognised).
    public func adopt(id: String, logPath: String, cgroupsPath: String) throws {
        if lock.withLock({ exits[id] }) != nil { return }
        let dir = bundle(id)
        guard let pidText = FileSystem.read("\(dir)/pid"), let pid = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw RuntimeError("adopt \(id): no pid file")
        }
        let log = try CRILogWriter(path: logPath)
        for stream in ["stdout", "stderr"] where FileSystem.exists("\(dir)/\(stream).fifo") {
            log.copy(try Self.openFIFOReader("\(dir)/\(stream).fifo"), stream: stream)
        }
        let io = reclaimStdio(bundle: dir, log: log)
        let watch = ExitWatch(pid: pid, log: log, memoryCgroup: Self.memoryCgroup(cgroupsPath))
        lock.withLock {
            exits[id] = watch
            stdio[id] = io
        }
        watch.begin()
    }

    /// The running container's output from now on and, when it was created with `stdin` and
    /// `stdin` is asked for, a descriptor writing to its stdin (the holder closes it, then calls
    /// the session's `closedStdin()`). With a terminal, output is the terminal's (all "stdout")
    /// and the session's `resize` sets its size.
    public func attach(id: String, stdin: Bool) throws -> AttachSession {
        let (watch, io) = lock.withLock { (exits[id], stdio[id]) }
        guard let watch, let io else { throw RuntimeError("container \(id) is not running") }
        return io.attach(output: watch.log.subscribe(), stdin: stdin)
    }

    /// Opens a FIFO's write end without waiting for a reader (nil when it is missing or no
    /// process reads it), then makes writes block.
    static func openStdinFIFO(_ path: String) -> Int32? {
        guard FileSystem.exists(path) else { return nil }
        let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    public func start(id: String) async throws {
        _ = try await runc(["start", id])
    }

    public func state(id: String) async throws -> ContainerState {
        let out = try await runc(["state", id])
        return Self.parseState(try JSON.parse(out))
    }

    public func list() async throws -> [ContainerState] {
        let out = try await runc(["list", "--format", "json"])
        if out.allSatisfy({ $0 == 0x20 || $0 == 0x0a }) { return [] }
        return (try JSON.parse(out).array ?? []).map(Self.parseState)
    }

    public func kill(id: String, signal: Int32) async throws {
        _ = try await runc(["kill", id, String(signal)])
    }

    public func delete(id: String) async throws {
        let dir = bundle(id)
        if FileSystem.exists("\(stateRoot)/\(id)") {
            _ = try await runc(["delete", "--force", id])
        }
        let io = lock.withLock {
            exits[id] = nil
            return stdio.removeValue(forKey: id)
        }
        if let io { io.release() } else { StdioKeeper.stop(bundle: dir) }
        FileSystem.removeTree(dir)
    }

    public func exec(id: String, args: [String], env: [String] = []) async throws -> ExecResult {
        // runc exec exits with the process's code (128 + signal when killed), so its own
        // failures are told apart by checking the container first.
        let st = try await state(id: id)
        guard st.status == "running" else { throw RuntimeError("container \(id) is \(st.status), not running") }
        var argv = ["exec"]
        for e in env { argv += ["--env", e] }
        argv += [id] + args
        let (status, out, err) = try await capture(argv)
        return ExecResult(exitCode: status, stdout: out, stderr: err)
    }

    public func update(id: String, resources r: ResourceSpec) async throws {
        var argv = ["update"]
        if let s = r.cpuShares { argv += ["--cpu-share", String(s)] }
        if let q = r.cpuQuota { argv += ["--cpu-quota", String(q)] }
        if let p = r.cpuPeriod { argv += ["--cpu-period", String(p)] }
        if let m = r.memoryLimit { argv += ["--memory", String(m), "--memory-swap", String(m)] }
        if let p = r.pidsLimit { argv += ["--pids-limit", String(p)] }
        _ = try await runc(argv + [id])
    }

    public func wait(id: String) async throws -> ExitStatus {
        guard let watch = lock.withLock({ exits[id] }) else { throw RuntimeError("container \(id) is not watched") }
        return await watch.result()
    }

    // MARK: helpers

    static func parseState(_ j: JSON) -> ContainerState {
        ContainerState(id: j["id"]?.string ?? "", status: j["status"]?.string ?? "",
                       pid: Int32(truncatingIfNeeded: j["pid"]?.int ?? 0), bundle: j["bundle"]?.string ?? "")
    }

    static func memoryCgroup(_ path: String) -> String? {
        guard !path.isEmpty else { return nil }
        if PodCgroups.isUnifiedOnly { return "\(PodCgroups.root)\(path)" }
        return "\(PodCgroups.root)/memory\(path)"
    }

    /// The last error runc logged for a bundle (`--log-format json`).
    func lastError(_ dir: String) -> String {
        let lines = (FileSystem.read("\(dir)/runc.log") ?? "").split(separator: "\n")
        for line in lines.reversed() {
            if let j = try? JSON.parse(String(line)), j["level"]?.string == "error", let m = j["msg"]?.string { return m }
        }
        return lines.last.map(String.init) ?? "unknown error"
    }

    /// Runs runc with `args`, returns stdout; throws with stderr when it fails.
    func runc(_ args: [String]) async throws -> [UInt8] {
        let (status, out, err) = try await capture(args)
        guard status == 0 else {
            throw RuntimeError("runc \(args.first ?? ""): \(String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return out
    }

    /// Runs runc with stdout and stderr in temporary files.
    func capture(_ args: [String]) async throws -> (Int32, [UInt8], [UInt8]) {
        let base = "\(stateRoot)/.io-\(UUID().uuidString)"
        let outFD = open(base + ".out", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errFD = open(base + ".err", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let inFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(outFD); close(errFD); close(inFD)
            unlink(base + ".out"); unlink(base + ".err")
        }
        guard outFD >= 0, errFD >= 0, inFD >= 0 else { throw RuntimeError("open \(base): \(String(cString: strerror(errno)))") }
        let status = try await run(args, stdin: inFD, stdout: outFD, stderr: errFD)
        let out = [UInt8](FileManager.default.contents(atPath: base + ".out") ?? Data())
        let err = [UInt8](FileManager.default.contents(atPath: base + ".err") ?? Data())
        return (status, out, err)
    }

    /// Spawns `runc --root <stateRoot> args...` and waits for it on a thread of its own.
    func run(_ args: [String], stdin: Int32, stdout: Int32, stderr: Int32) async throws -> Int32 {
        let argv = [runcPath, "--root", stateRoot] + args
        let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let pid = withCStrings(argv) { a in withCStrings(env) { e in skiff_spawn(runcPath, a, e, stdin, stdout, stderr) } }
        if pid < 0 { throw RuntimeError("spawn \(runcPath): \(String(cString: strerror(-pid)))") }
        let status = await Reaper.wait(pid: pid)
        return status.exitCode
    }
}

func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension Array where Element == UInt8 {
    /// write(2) into an existing file such as one in /proc.
    func write(toProcFile path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let n = withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n != count { throw RuntimeError("write \(path): \(String(cString: strerror(errno)))") }
    }
}
