import Foundation
import Glibc

extension RuncRuntime {
    /// Starts `args` in a running container with `runc exec`, its stdio on pipes, for
    /// `kubectl exec`. `runc exec` exits with the process's code, so the session's exit code is the
    /// process's (a process runc could not start shows runc's message on stderr and a non-zero code).
    ///
    /// With `tty`, the process gets a terminal (runc's `--tty`, its master side received over a
    /// console socket): the session's stdin and stdout are the terminal, and there is no stderr.
    public func execSession(id: String, args: [String], env: [String] = [], tty: Bool, stdin: Bool) async throws -> ExecSession {
        let st = try await state(id: id)
        guard st.status == "running" else { throw RuntimeError("container \(id) is \(st.status), not running") }
        var argv = [runcPath, "--root", stateRoot, "exec"]
        for e in env { argv += ["--env", e] }
        guard tty else { return try ExecSession.spawn(argv + [id] + args, stdin: stdin) }
        // runc hands out a terminal only when detached: the process is then re-parented to this
        // subreaper, and its exit collected with waitpid.
        let console = try ConsoleSocket(path: "\(stateRoot)/.console-\(UUID().uuidString.prefix(8)).sock")
        let pidFile = "\(stateRoot)/.exec-\(UUID().uuidString.prefix(8)).pid"
        defer { unlink(pidFile) }
        let runc = try ExecSession.spawn(argv + ["--detach", "--tty", "--console-socket", console.path, "--pid-file", pidFile, id] + args,
                                         stdin: false)
        close(runc.stdout!)
        let errors = FileDescriptorIO.chunks(of: runc.stderr!)
        let exited = ExitFlag()
        async let runcStatus = Self.wait(runc, then: exited)
        let master = try? await Self.onThread { try console.receiveTerminal(timeout: 10, gaveUp: { exited.isSet }) }
        let status = await runcStatus
        var message: [UInt8] = []
        for await chunk in errors { message += chunk }
        guard status == 0, let master, let text = FileSystem.read(pidFile),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            if let master { close(master) }
            let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RuntimeError("runc exec --tty \(id): \(text.isEmpty ? "exit status \(status)" : text)")
        }
        let exit = ProcessExit(pid: pid)
        let input = stdin ? dup(master) : nil
        return ExecSession(stdin: input, stdout: master, stderr: nil, wait: { await exit.code() },
                           resize: { w, h in ConsoleSocket.resize(master, width: w, height: h) })
    }

    static func wait(_ session: ExecSession, then flag: ExitFlag) async -> Int32 {
        let code = await session.wait()
        flag.set()
        return code
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            Thread.detachNewThread { cont.resume(with: Result { try body() }) }
        }
    }
}


/// Set once a process has exited.
final class ExitFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
