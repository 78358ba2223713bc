import SkiffClient
import Synchronization

/// Wakes one waiting task: `signal()` resumes the waiter, or, if none waits, lets the next
/// `wait()` return at once. Signals do not accumulate.
final class Wakeup: Sendable {
    struct State {
        var signaled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let state = Mutex(State())

    func signal() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.signaled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns after a signal, or when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now: Bool = state.withLock { s in
                    if s.signaled {
                        s.signaled = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            signal()
        }
    }

    /// Returns after a signal, at `deadline` on `clock`, or when the task is cancelled.
    func wait(until deadline: Duration, clock: any TimeSource) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }
}
