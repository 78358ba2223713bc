import CSkiffRuntime
import Foundation
import Glibc

/// A process that keeps a container's terminal (its descriptor 0) and, for `stdinOnce`
/// without a terminal, the agent's writer of the container's stdin FIFO (its descriptor 1)
/// open while the agent restarts, as containerd's shim keeps a container's stdio: without it,
/// an agent exit hangs up the terminal (the container reads EOF and gets SIGHUP) or ends the
/// container's stdin. The keeper is `tail -f /dev/null --pid <container>`, which exits by
/// itself within a second of the container's init; an agent that adopts the container takes
/// the descriptors back with `pidfd_getfd`. Its pid and what it holds are recorded in the
/// bundle (`stdio`).
enum StdioKeeper {
    struct Record: Equatable {
        var pid: Int32
        var terminal: Bool
        var stdin: Bool
        var stdinOnce: Bool
        var stdinClosed: Bool = false

        var text: String {
            "keeper=\(pid)\nterminal=\(terminal ? 1 : 0)\nstdin=\(stdin ? 1 : 0)\nstdinOnce=\(stdinOnce ? 1 : 0)\nstdinClosed=\(stdinClosed ? 1 : 0)\n"
        }

        init(pid: Int32, terminal: Bool, stdin: Bool, stdinOnce: Bool, stdinClosed: Bool = false) {
            self.pid = pid
            self.terminal = terminal
            self.stdin = stdin
            self.stdinOnce = stdinOnce
            self.stdinClosed = stdinClosed
        }

        /// Parses `text`; nil when it has no keeper pid.
        init?(parsing text: String) {
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let kv = line.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
            }
            guard let pid = fields["keeper"].flatMap({ Int32($0) }), pid > 0 else { return nil }
            self.init(pid: pid, terminal: fields["terminal"] == "1", stdin: fields["stdin"] == "1",
                      stdinOnce: fields["stdinOnce"] == "1", stdinClosed: fields["stdinClosed"] == "1")
        }
    }

    static func recordPath(_ bundle: String) -> String { "\(bundle)/stdio" }

    /// Starts a keeper holding `terminal` and `stdinWriter` and records it in `bundle`; nil when
    /// it cannot be started (the container then runs without one, as before).
    static func start(bundle: String, container: Int32, terminal: Int32?, stdinWriter: Int32?, stdin: Bool, stdinOnce: Bool) -> Int32? {
        guard let tail = RuncRuntime.findOnPath("tail") else { return nil }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let pid = withCStrings(["tail", "-f", "/dev/null", "--pid", String(container)]) { a in
            withCStrings([]) { e in spawnClosingOthers(tail, a, e, terminal ?? null, stdinWriter ?? null, null) }
        }
        guard pid > 0 else { return nil }
        ExitMonitor.onExit(pid) { _ in }  // reaped once it exits
        let record = Record(pid: pid, terminal: terminal != nil, stdin: stdin, stdinOnce: stdinOnce)
        try? FileSystem.write(Array(record.text.utf8), to: recordPath(bundle))
        return pid
    }

    /// The keeper recorded in `bundle`, when it still runs.
    static func find(bundle: String) -> Record? {
        guard let text = FileSystem.read(recordPath(bundle)), let record = Record(parsing: text),
              FileSystem.read("/proc/\(record.pid)/comm")?.hasPrefix("tail") == true else { return nil }
        return record
    }

    /// A duplicate of the keeper's descriptor `target` (0: terminal, 1: stdin writer).
    static func take(_ record: Record, descriptor target: Int32) -> Int32? {
        let pidfd = skiff_pidfd_open(record.pid)
        guard pidfd >= 0 else { return nil }
        defer { close(pidfd) }
        let fd = skiff_pidfd_getfd(pidfd, target)
        return fd >= 0 ? fd : nil
    }

    /// Notes in the bundle that stdinOnce closed the container's stdin.
    static func recordStdinClosed(bundle: String) {
        guard let text = FileSystem.read(recordPath(bundle)), var record = Record(parsing: text) else { return }
        record.stdinClosed = true
        try? FileSystem.write(Array(record.text.utf8), to: recordPath(bundle))
    }

    /// Ends the keeper recorded in `bundle`, if it still runs.
    static func stop(bundle: String) {
        if let record = find(bundle: bundle) { kill(record.pid, SIGKILL) }
    }
}
