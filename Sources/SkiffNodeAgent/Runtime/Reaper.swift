import CSkiffRuntime
import Foundation
import Glibc

/// Waits for processes: runc invocations, CNI plugins, exec sessions, and container inits
/// re-parented to the agent (a child subreaper). The `ReadinessLoop`'s one thread watches every
/// process through its pidfd, so a running container costs no thread; only the waited-for pid is
/// reaped (`waitpid(pid)`), never another child's status. A process that is not a child (a
/// container adopted after an agent restart) is watched the same way; its exit code is then
/// unknown (-1).
enum Reaper {
    static func wait(pid: Int32) async -> ExitStatus {
        await withCheckedContinuation { (cont: CheckedContinuation<ExitStatus, Never>) in
            ExitMonitor.onExit(pid) { cont.resume(returning: $0) }
        }
    }

    /// Reaps `pid` once it has exited; -1 when it is not a child of this process.
    static func collect(pid: Int32) -> ExitStatus {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, 0)
            if r == pid { return decode(status) }
            if r < 0 && errno == EINTR { continue }
            return ExitStatus(exitCode: -1)
        }
    }

    static func decode(_ status: Int32) -> ExitStatus {
        let sig = status & 0x7f
        if sig == 0 { return ExitStatus(exitCode: (status >> 8) & 0xff) }
        return ExitStatus(exitCode: 128 + sig, signal: sig)
    }
}

/// Calls back when a process has exited and been reaped: its pidfd on the `ReadinessLoop`.
enum ExitMonitor {
    /// Calls `then` (on the loop's thread: it must not block) once `pid` has exited and been reaped.
    static func onExit(_ pid: Int32, _ then: @escaping @Sendable (ExitStatus) -> Void) {
        let fd = skiff_pidfd_open(pid)
        guard fd >= 0 else {
            // Already reaped or never ours: nothing to wait for.
            then(Reaper.collect(pid: pid))
            return
        }
        let watching = ReadinessLoop.shared.watch(fd) {
            then(Reaper.collect(pid: pid))
            return false
        }
        if !watching {
            close(fd)
            then(Reaper.collect(pid: pid))
        }
    }
}

/// The exit of one container's init process, collected once and handed to every waiter.
final class ExitWatch: @unchecked Sendable {
    let pid: Int32
    let log: CRILogWriter
    let memoryCgroup: String?
    private let lock = NSLock()
    private var exit: ExitStatus?
    private var waiters: [CheckedContinuation<ExitStatus, Never>] = []

    init(pid: Int32, log: CRILogWriter, memoryCgroup: String?) {
        self.pid = pid
        self.log = log
        self.memoryCgroup = memoryCgroup
    }

    /// Watches the process; once it exits, the log is drained on a thread of its own (a
    /// running container holds no thread).
    func begin() {
        ExitMonitor.onExit(pid) { [self] reaped in Thread.detachNewThread { [self] in finish(reaped) } }
    }

    private func finish(_ reaped: ExitStatus) {
        var status = reaped
        // As containerd: any OOM kill in the container's cgroup makes the reason OOMKilled,
        // also when the kernel chose a child (`sh -c 'a | b'` then exits 137 itself). An
        // adopted container's code is unknown (-1), but the kill still shows in its cgroup.
        status.oomKilled = oomKills() > 0
        if status.exitCode < 0 && status.oomKilled { status = ExitStatus(exitCode: 137, signal: SIGKILL, oomKilled: true) }
        log.drain(timeout: 2)
        let ws: [CheckedContinuation<ExitStatus, Never>] = lock.withLock {
            exit = status
            defer { waiters = [] }
            return waiters
        }
        for w in ws { w.resume(returning: status) }
    }

    func result() async -> ExitStatus {
        await withCheckedContinuation { cont in
            let done: ExitStatus? = lock.withLock {
                if let exit { return exit }
                waiters.append(cont)
                return nil
            }
            if let done { cont.resume(returning: done) }
        }
    }

    /// `oom_kill` from memory.oom_control (v1) or memory.events (v2).
    func oomKills() -> Int {
        guard let dir = memoryCgroup else { return 0 }
        let text = FileSystem.read("\(dir)/memory.oom_control") ?? FileSystem.read("\(dir)/memory.events") ?? ""
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == "oom_kill", let n = Int(f[1]) { return n }
        }
        return 0
    }
}
