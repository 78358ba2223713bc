extension RuncRuntime {
    /// Starts `args` in a running container with `runc exec`, its stdio on pipes, for
    /// `kubectl exec`. `runc exec` exits with the process's code, so the session's exit code is the
    /// process's (a process runc could not start shows runc's message on stderr and a non-zero code).
    ///
    /// A terminal (`tty`) needs runc's console socket, which is not supported yet: it throws.
    public func execSession(id: String, args: [String], env: [String] = [], tty: Bool, stdin: Bool) async throws -> ExecSession {
        if tty { throw RuntimeError("a terminal (-t) is not supported by this node agent yet; run without -t") }
        let st = try await state(id: id)
        guard st.status == "running" else { throw RuntimeError("container \(id) is \(st.status), not running") }
        var argv = [runcPath, "--root", stateRoot, "exec"]
        for e in env { argv += ["--env", e] }
        argv += [id] + args
        return try ExecSession.spawn(argv, stdin: stdin)
    }
}
