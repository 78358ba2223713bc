import Foundation
import Glibc

extension RuncRuntime {
    /// `runc create` with the container's stdout and stderr on FIFOs copied to `log`.
    ///
    /// The FIFOs are in the bundle rather than pipes: the container holds them open read-write,
    /// so it never gets SIGPIPE while the agent restarts (its output waits in the FIFO), and a
    /// restarted agent reopens them to go on copying (`adopt`). With `stdin: true` the
    /// container reads a FIFO it holds open read-write (never EOF, as the kubelet's stdin
    /// without stdinOnce); with `stdinOnce` it gets only the read end and the agent holds a
    /// writer until the first attached client is done, so the container then reads EOF.
    func createOnFIFOs(id: String, bundle dir: String, log: CRILogWriter, spec: ContainerSpec) async throws -> ContainerStdio {
        var readers: [Int32] = [], writers: [Int32] = []
        for stream in ["stdout", "stderr"] {
            let (r, w) = try Self.makeFIFO("\(dir)/\(stream).fifo")
            readers.append(r)
            writers.append(w)
        }
        var held: Int32?
        let stdinFD: Int32
        if spec.stdin {
            let (r, rw) = try Self.makeFIFO("\(dir)/stdin.fifo")
            if spec.stdinOnce {
                stdinFD = r
                held = rw
            } else {
                close(r)
                stdinFD = rw
            }
        } else {
            stdinFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        let args = ["--log", "\(dir)/runc.log", "--log-format", "json",
                    "create", "--bundle", dir, "--pid-file", "\(dir)/pid", id]
        let status = try await run(args, stdin: stdinFD, stdout: writers[0], stderr: writers[1])
        close(stdinFD)
        for w in writers { close(w) }
        log.copy(readers[0], stream: "stdout")
        log.copy(readers[1], stream: "stderr")
        guard status == 0 else {
            if let held { close(held) }
            log.drain(timeout: 1)
            throw RuntimeError("runc create \(id): \(lastError(dir))")
        }
        return ContainerStdio(bundle: dir, terminal: nil, fifo: spec.stdin ? "\(dir)/stdin.fifo" : nil, heldStdin: held,
                              keeper: nil, stdin: spec.stdin, stdinOnce: spec.stdinOnce)
    }

    /// `runc create` for a container with a terminal (`process.terminal`): runc sends the
    /// terminal's master side over a console socket; the agent copies it to `log` as stdout
    /// (the terminal merges stdout and stderr) and keeps it for attached clients' input and
    /// resizing.
    func createOnTerminal(id: String, bundle dir: String, log: CRILogWriter, spec: ContainerSpec) async throws -> ContainerStdio {
        let console = try ConsoleSocket(path: "\(stateRoot)/.console-\(UUID().uuidString.prefix(8)).sock")
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let args = ["--log", "\(dir)/runc.log", "--log-format", "json",
                    "create", "--bundle", dir, "--console-socket", console.path, "--pid-file", "\(dir)/pid", id]
        let exited = ExitFlag()
        async let status = runThenFlag(args, stdio: null, exited)
        let master = try? await Self.onThread { try console.receiveTerminal(timeout: 10, gaveUp: { exited.isSet }) }
        let code = try await status
        guard code == 0, let master else {
            if let master { close(master) }
            throw RuntimeError("runc create \(id): \(code == 0 ? "runc did not send a terminal" : lastError(dir))")
        }
        let reader = fcntl(master, F_DUPFD_CLOEXEC, 0)
        guard reader >= 0 else {
            close(master)
            throw RuntimeError("dup terminal: \(String(cString: strerror(errno)))")
        }
        log.copy(reader, stream: "stdout")
        return ContainerStdio(bundle: dir, terminal: master, fifo: nil, heldStdin: nil, keeper: nil,
                              stdin: spec.stdin, stdinOnce: spec.stdinOnce)
    }

    /// The stdio a container adopted after an agent restart had: its terminal and its stdinOnce
    /// writer taken back from its keeper (the terminal is also copied to `log` again), else its
    /// stdin FIFO as it is.
    func reclaimStdio(bundle dir: String, log: CRILogWriter) -> ContainerStdio {
        let fifo = FileSystem.exists("\(dir)/stdin.fifo") ? "\(dir)/stdin.fifo" : nil
        guard let record = StdioKeeper.find(bundle: dir) else {
            return ContainerStdio(bundle: dir, terminal: nil, fifo: fifo, heldStdin: nil, keeper: nil, stdin: fifo != nil, stdinOnce: false)
        }
        var terminal: Int32?
        if record.terminal, let master = StdioKeeper.take(record, descriptor: 0) {
            let reader = fcntl(master, F_DUPFD_CLOEXEC, 0)
            if reader >= 0 { log.copy(reader, stream: "stdout") }
            terminal = master
        }
        let held = !record.terminal && record.stdinOnce && !record.stdinClosed ? StdioKeeper.take(record, descriptor: 1) : nil
        let io = ContainerStdio(bundle: dir, terminal: terminal, fifo: fifo, heldStdin: held, keeper: record.pid,
                                stdin: record.stdin, stdinOnce: record.stdinOnce)
        if record.stdinClosed { io.closeStdin() }
        return io
    }

    private func runThenFlag(_ args: [String], stdio: Int32, _ flag: ExitFlag) async throws -> Int32 {
        defer { flag.set() }
        return try await run(args, stdin: stdio, stdout: stdio, stderr: stdio)
    }
}

/// What the agent holds of one container's stdin: its terminal's master side (kept for
/// attached clients' input and resizing), or its stdin FIFO, and for `stdinOnce` whether the
/// first attached client is done with it.
final class ContainerStdio: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private let bundle: String
    private var terminal: Int32?
    private let fifo: String?
    private var heldStdin: Int32?
    /// The `StdioKeeper` holding the terminal or the stdinOnce writer across agent restarts.
    private var keeper: Int32?
    private let stdin: Bool
    private let stdinOnce: Bool
    private var stdinClosed = false

    init(bundle: String, terminal: Int32?, fifo: String?, heldStdin: Int32?, keeper: Int32?, stdin: Bool, stdinOnce: Bool) {
        self.bundle = bundle
        self.terminal = terminal
        self.fifo = fifo
        self.heldStdin = heldStdin
        self.keeper = keeper
        self.stdin = stdin
        self.stdinOnce = stdinOnce
    }

    var hasTerminal: Bool { lock.withLock { terminal != nil } }

    /// An attached client's session: `output`, and the container's stdin when it has one, the
    /// client wants it, and (`stdinOnce`) no earlier client closed it.
    func attach(output: AsyncStream<(String, [UInt8])>, stdin wanted: Bool) -> AttachSession {
        let (input, tty): (Int32?, Bool) = lock.withLock {
            guard wanted, stdin, !stdinClosed else { return (nil, terminal != nil) }
            if let terminal {
                let fd = fcntl(terminal, F_DUPFD_CLOEXEC, 0)
                return (fd >= 0 ? fd : nil, true)
            }
            return (fifo.flatMap(RuncRuntime.openStdinFIFO), false)
        }
        var resize: (@Sendable (UInt16, UInt16) -> Void)?
        if tty { resize = { [self] w, h in self.resize(width: w, height: h) } }
        var closed: (@Sendable () -> Void)?
        if input != nil && stdinOnce { closed = { [self] in self.closeStdin() } }
        return AttachSession(output: output, stdin: input, resize: resize, stdinClosed: closed)
    }

    /// Starts a `StdioKeeper` for what must outlive an agent restart (a terminal, a stdinOnce
    /// writer) once the container's init is `container`.
    func keep(container: Int32) {
        lock.withLock {
            guard keeper == nil, terminal != nil || heldStdin != nil else { return }
            keeper = StdioKeeper.start(bundle: bundle, container: container, terminal: terminal, stdinWriter: heldStdin,
                                       stdin: stdin, stdinOnce: stdinOnce)
        }
    }

    /// Sets the terminal's size (`TIOCSWINSZ`), while the container has one.
    func resize(width: UInt16, height: UInt16) {
        lock.withLock {
            if let terminal { ConsoleSocket.resize(terminal, width: width, height: height) }
        }
    }

    /// `stdinOnce`: the container's stdin closes. A FIFO's last writer the agent held closes
    /// (the container reads EOF once attached writers are gone); a terminal is hung up, as
    /// containerd closes the console (reads in the container return EOF, its session gets SIGHUP).
    func closeStdin() {
        lock.withLock {
            guard !stdinClosed else { return }
            stdinClosed = true
            if let heldStdin { close(heldStdin) }
            heldStdin = nil
            if let terminal {
                Terminal.hangUp(master: terminal)
                StdioKeeper.recordStdinClosed(bundle: bundle)
            } else if let pid = keeper {
                // It holds only the stdin writer, which must close too.
                kill(pid, SIGKILL)
                keeper = nil
            }
        }
    }

    /// The container is deleted: everything held is closed.
    func release() {
        lock.withLock {
            if let terminal { close(terminal) }
            if let heldStdin { close(heldStdin) }
            if let keeper { kill(keeper, SIGKILL) }
            terminal = nil
            heldStdin = nil
            keeper = nil
        }
    }
}

/// Pseudo-terminal operations on a terminal's master side.
enum Terminal {
    /// Hangs up the terminal's slave side: `TIOCGPTPEER` opens it from the master (the slave
    /// lives in the container's devpts), `TIOCVHANGUP` hangs it up.
    static func hangUp(master: Int32) {
        let TIOCGPTPEER: UInt = 0x5441, TIOCVHANGUP: UInt = 0x5437
        let peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard peer >= 0 else { return }
        _ = ioctl(peer, TIOCVHANGUP)
        close(peer)
    }
}
