import CSkiffRuntime
import Foundation
import Glibc

/// A process started for `kubectl exec`: its stdio as file descriptors and its exit code.
///
/// The descriptors belong to whoever holds the session: `KubeletServer` writes stdin, reads stdout
/// and stderr to EOF, and closes each. With a terminal, stdout carries the terminal's output and
/// `stderr` is nil; `resize` sets the terminal's size.
public struct ExecSession: Sendable {
    /// The write end of the process's stdin, nil when stdin was not requested.
    public var stdin: Int32?
    public var stdout: Int32?
    public var stderr: Int32?
    let exit: @Sendable () async -> Int32
    let resizeTerminal: (@Sendable (_ width: UInt16, _ height: UInt16) -> Void)?

    /// `wait` returns the exit code as Kubernetes reports it (128 + the signal when killed).
    public init(stdin: Int32?, stdout: Int32?, stderr: Int32?, wait: @escaping @Sendable () async -> Int32,
                resize: (@Sendable (_ width: UInt16, _ height: UInt16) -> Void)? = nil) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        exit = wait
        resizeTerminal = resize
    }

    /// Waits for the process to exit.
    public func wait() async -> Int32 { await exit() }

    public func resize(width: UInt16, height: UInt16) { resizeTerminal?(width, height) }

    /// Spawns `arguments[0]` (a path) with `arguments` and `environment`, its stdout and stderr on
    /// pipes, and stdin on a pipe when `stdin` (else `/dev/null`).
    ///
    /// This is how `RuncRuntime` runs `runc exec`; anything that starts a local process for a
    /// stream can use it.
    public static func spawn(_ arguments: [String], environment: [String]? = nil, stdin: Bool) throws -> ExecSession {
        guard let path = arguments.first else { throw RuntimeError("no command") }
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        func closeAll() { for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) } }
        guard skiff_pipe_cloexec(&outPipe) == 0, skiff_pipe_cloexec(&errPipe) == 0 else {
            closeAll()
            throw RuntimeError("pipe: \(String(cString: strerror(errno)))")
        }
        if stdin {
            guard skiff_pipe_cloexec(&inPipe) == 0 else {
                closeAll()
                throw RuntimeError("pipe: \(String(cString: strerror(errno)))")
            }
        } else {
            inPipe[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        let env = environment ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let pid = withCStrings(arguments) { a in withCStrings(env) { e in spawnClosingOthers(path, a, e, inPipe[0], outPipe[1], errPipe[1]) } }
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        if pid < 0 {
            if inPipe[1] >= 0 { close(inPipe[1]) }
            close(outPipe[0])
            close(errPipe[0])
            throw RuntimeError("spawn \(path): \(String(cString: strerror(-pid)))")
        }
        let exit = ProcessExit(pid: pid)
        return ExecSession(stdin: stdin ? inPipe[1] : nil, stdout: outPipe[0], stderr: errPipe[0], wait: { await exit.code() })
    }
}

/// posix_spawn with `stdin`, `stdout`, `stderr` as 0, 1, 2, every other descriptor closed (so a
/// session never holds another's pipe open), signals unblocked and at their defaults. Returns
/// the pid, or -errno.
func spawnClosingOthers(_ path: String, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>, _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>,
                        _ stdin: Int32, _ stdout: Int32, _ stderr: Int32) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    var attr = posix_spawnattr_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawnattr_init(&attr)
    defer {
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attr)
    }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    _ = closeFrom.map { $0(&actions, 3) }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attr, UnsafeMutablePointer(mutating: argv), UnsafeMutablePointer(mutating: envp))
    return rc == 0 ? pid : -rc
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; not in Swift's view of
/// the headers), nil where it is missing.
let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

/// A child's exit code, collected once (by the `Reaper`) and handed to every waiter.
final class ProcessExit: @unchecked Sendable {
    private let lock = NSLock()
    private var exitCode: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []

    init(pid: Int32) {
        ExitMonitor.onExit(pid) { [self] status in
            let code = status.exitCode
            let ws: [CheckedContinuation<Int32, Never>] = lock.withLock {
                exitCode = code
                defer { waiters = [] }
                return waiters
            }
            for w in ws { w.resume(returning: code) }
        }
    }

    func code() async -> Int32 {
        await withCheckedContinuation { cont in
            let done: Int32? = lock.withLock {
                if let exitCode { return exitCode }
                waiters.append(cont)
                return nil
            }
            if let done { cont.resume(returning: done) }
        }
    }
}
