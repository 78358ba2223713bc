import Foundation
import Glibc

/// Blocking reads and writes of pipes on threads of their own, so the event loops and the
/// cooperative pool never block on a process.
enum FileDescriptorIO {
    /// Reads `fd` to EOF on a thread of its own, yielding each read; closes `fd` at the end.
    static func chunks(of fd: Int32, size: Int = 32 * 1024) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        Thread.detachNewThread {
            var buf = [UInt8](repeating: 0, count: size)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                continuation.yield(Array(buf[0..<n]))
            }
            close(fd)
            continuation.finish()
        }
        return stream
    }

    /// Writes all of `bytes` to `fd`; false if the reader went away.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let w = write(fd, p.baseAddress! + off, p.count - off)
                if w < 0 { if errno == EINTR { continue }; return false }
                off += w
            }
            return true
        }
    }
}

/// A process's stdin: writes queue in order on a serial queue, `close` after what is queued.
final class PipeWriter: Sendable {
    private let fd: Int32
    private let queue = DispatchQueue(label: "skiff.exec.stdin")
    private let onClose: (@Sendable () -> Void)?

    convenience init(fd: Int32) { self.init(fd: fd, onClose: nil) }

    /// `onClose` runs once, right after the descriptor is closed.
    init(fd: Int32, onClose: (@Sendable () -> Void)?) {
        self.fd = fd
        self.onClose = onClose
    }

    func write(_ bytes: [UInt8]) {
        let fd = self.fd
        queue.async { FileDescriptorIO.writeAll(fd, bytes) }
    }

    /// Closes the pipe once earlier writes are done; later calls do nothing.
    func close() {
        let fd = self.fd
        let closed = self.closed, onClose = self.onClose
        queue.async {
            if closed.value { return }
            closed.value = true
            Glibc.close(fd)
            onClose?()
        }
    }

    private let closed = Flag()

    /// Touched only on `queue`.
    final class Flag: @unchecked Sendable { var value = false }
}
