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

    /// Closes the channel once it has been idle for `timeout`, or when cancelled (the connection's
    /// reader may not see cancellation while it waits for bytes).
    func run() async {
        while !Task.isCancelled {
            let deadline = last.withLock { $0 } + timeout
            if ContinuousClock.now >= deadline { break }
            do { try await Task.sleep(until: deadline, clock: .continuous) } catch { break }
        }
        channel.close(promise: nil)
    }
}
