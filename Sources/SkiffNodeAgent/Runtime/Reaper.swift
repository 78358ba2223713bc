import CSkiffRuntime
import Foundation
import Glibc

/// Waits for one child process (a runc invocation, or a container init re-parented to this
/// subreaper) on a thread of its own, so no other child's status is taken.
enum Reaper {
    static func wait(pid: Int32) async -> ExitStatus {
        await withCheckedContinuation { (cont: CheckedContinuation<ExitStatus, Never>) in
            Thread.detachNewThread { cont.resume(returning: waitBlocking(pid: pid)) }
        }
    }

    static func waitBlocking(pid: Int32) -> ExitStatus {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, 0)
            if r == pid { return decode(status) }
            if r < 0 && errno == EINTR { continue }
            // Not our child (the agent restarted): poll until the process is gone; its code is lost.
            while Glibc.kill(pid, 0) == 0 { usleep(100_000) }
            return ExitStatus(exitCode: -1)
        }
    }

    static func decode(_ status: Int32) -> ExitStatus {
        let sig = status & 0x7f
        if sig == 0 { return ExitStatus(exitCode: (status >> 8) & 0xff) }
        return ExitStatus(exitCode: 128 + sig, signal: sig)
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

    func begin() {
        Thread.detachNewThread { [self] in
            var status = Reaper.waitBlocking(pid: pid)
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
