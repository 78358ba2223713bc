import NIOCore
import Synchronization

/// Closes a channel that saw no activity (`touch()`) for `timeout`.
final class IdleTimer: Sendable {
    let channel: any Channel
    let timeout: Duration
    let last = Mutex(ContinuousClock.now)

    init(channel: any Channel, timeout: Duration) {
        self.channel = channel
        self.timeout = timeout
    }

    func touch() { last.withLock { $0 = .now } }

    /// Returns when cancelled or after closing the channel.
    func run() async {
        while !Task.isCancelled {
            let deadline = last.withLock { $0 } + timeout
            if ContinuousClock.now >= deadline {
                channel.close(promise: nil)
                return
            }
            do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return }
        }
    }
}
