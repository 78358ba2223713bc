import CSkiffRuntime
import Foundation
import Glibc

/// One thread that waits, in one epoll set, for descriptors to become readable and calls each
/// one's handler: the agent's pidfds (process exits) and container output pipes (logs), so that
/// running containers cost no thread each.
///
/// Handlers run on the loop's thread, one at a time; they must not block for long. A handler
/// returns whether to keep watching its descriptor; when it returns false the loop stops
/// watching and closes the descriptor.
final class ReadinessLoop: @unchecked Sendable {  // state guarded by `lock`
    static let shared = ReadinessLoop()

    private let epoll: Int32
    private let lock = NSLock()
    private var handlers: [Int32: @Sendable () -> Bool] = [:]

    private init() {
        epoll = skiff_epoll_create()
        precondition(epoll >= 0, "epoll_create1: \(String(cString: strerror(-epoll)))")
        let thread = Thread { [self] in loop() }
        thread.name = "skiff-io"
        thread.start()
    }

    /// Calls `onReadable` each time `fd` is readable (or at EOF or hang-up) until it returns
    /// false; `fd` is then closed. Returns false (and leaves `fd` to the caller) when it cannot be
    /// watched.
    @discardableResult
    func watch(_ fd: Int32, _ onReadable: @escaping @Sendable () -> Bool) -> Bool {
        lock.withLock { handlers[fd] = onReadable }
        guard skiff_epoll_add(epoll, fd) == 0 else {
            lock.withLock { _ = handlers.removeValue(forKey: fd) }
            return false
        }
        return true
    }

    private func loop() {
        var ready = [Int32](repeating: 0, count: 64)
        while true {
            let n = skiff_epoll_ready(epoll, &ready, 64, -1)
            if n < 0 { continue }  // EINTR
            for fd in ready[0..<Int(n)] {
                guard let handler = lock.withLock({ handlers[fd] }) else { continue }
                if !handler() {
                    _ = skiff_epoll_remove(epoll, fd)
                    lock.withLock { _ = handlers.removeValue(forKey: fd) }
                    close(fd)  // last: the number cannot be reused while it is still registered
                }
            }
        }
    }
}
