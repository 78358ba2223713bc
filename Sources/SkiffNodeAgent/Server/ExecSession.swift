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
        let pid = withCStrings(arguments) { a in withCStrings(env) { e in skiff_spawn(path, a, e, inPipe[0], outPipe[1], errPipe[1]) } }
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

/// A child's exit code, collected once by a thread of its own and handed to every waiter.
final class ProcessExit: @unchecked Sendable {
    private let lock = NSLock()
    private var exitCode: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []

    init(pid: Int32) {
        Thread.detachNewThread { [self] in
            let code = Reaper.waitBlocking(pid: pid).exitCode
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
