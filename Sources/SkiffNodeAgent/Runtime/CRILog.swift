import Foundation
import Glibc

/// Copies a container's stdout and stderr into a file in the CRI log format the kubelet
/// writes and `kubectl logs` reads: `<RFC3339Nano> <stream> <P|F> <line>`.
final class CRILogWriter: @unchecked Sendable {
    /// Lines longer than this are split into partial (`P`) entries, as the kubelet does.
    static let maxLine = 16 * 1024
    /// Where every copy reads into: the copies all run on the `ReadinessLoop`'s one thread, one
    /// at a time, so one buffer serves them all (not 32 KB allocated per read).
    nonisolated(unsafe) static let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 1024, alignment: 16)

    private let fd: Int32
    private let lock = NSLock()
    private let done = DispatchGroup()
    /// Attached clients (`kubectl attach`): every chunk read is also given to them, as it is read.
    private var subscribers: [Int: AsyncStream<(String, [UInt8])>.Continuation] = [:]
    private var nextSubscriber = 0
    private var openStreams = 0

    /// The container's output from now on, `(stream, bytes)`; ends when every stream reached EOF.
    func subscribe() -> AsyncStream<(String, [UInt8])> {
        let (stream, continuation) = AsyncStream<(String, [UInt8])>.makeStream()
        let finished: Bool = lock.withLock {
            if openStreams == 0 { return true }
            let id = nextSubscriber
            nextSubscriber += 1
            subscribers[id] = continuation
            continuation.onTermination = { [weak self] _ in self?.lock.withLock { _ = self?.subscribers.removeValue(forKey: id) } }
            return false
        }
        if finished { continuation.finish() }
        return stream
    }

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        if fd < 0 { throw RuntimeError("open \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Starts copying `readFD` (closed at EOF) as `stream` ("stdout" or "stderr"), on the
    /// agent's `ReadinessLoop`: a running container holds no thread.
    func copy(_ readFD: Int32, stream: String) {
        done.enter()
        lock.withLock { openStreams += 1 }
        let pending = PendingLine()
        let watching = ReadinessLoop.shared.watch(readFD) { [self] in
            var n: Int
            repeat { n = read(readFD, Self.readBuffer.baseAddress, Self.readBuffer.count) } while n < 0 && errno == EINTR
            guard n > 0 else {
                ended(stream, pending)
                return false
            }
            let chunk = Array(Self.readBuffer[0..<n])
            for s in lock.withLock({ Array(subscribers.values) }) { s.yield((stream, chunk)) }
            pending.bytes += chunk
            while let nl = pending.bytes.firstIndex(of: UInt8(ascii: "\n")) {
                emit(stream, pending.bytes[..<nl], full: true)
                pending.bytes.removeSubrange(...nl)
            }
            while pending.bytes.count >= Self.maxLine {
                emit(stream, pending.bytes[..<Self.maxLine], full: false)
                pending.bytes.removeSubrange(..<Self.maxLine)
            }
            return true
        }
        if !watching {
            close(readFD)
            ended(stream, pending)
        }
    }

    /// One stream reached EOF: its last partial line is written, and once every stream has,
    /// attached clients are told.
    private func ended(_ stream: String, _ pending: PendingLine) {
        if !pending.bytes.isEmpty { emit(stream, pending.bytes[...], full: true) }
        let finished: [AsyncStream<(String, [UInt8])>.Continuation] = lock.withLock {
            openStreams -= 1
            guard openStreams == 0 else { return [] }
            defer { subscribers = [:] }
            return Array(subscribers.values)
        }
        for s in finished { s.finish() }
        done.leave()
    }

    /// Waits until every stream reached EOF, at most `timeout` seconds.
    func drain(timeout: Double) { _ = done.wait(timeout: .now() + timeout) }

    private func emit(_ stream: String, _ line: ArraySlice<UInt8>, full: Bool) {
        var out = Array("\(Self.timestamp()) \(stream) \(full ? "F" : "P") ".utf8)
        out += line
        out.append(UInt8(ascii: "\n"))
        lock.lock()
        defer { lock.unlock() }
        out.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let w = write(fd, p.baseAddress! + off, p.count - off)
                if w < 0 { if errno == EINTR { continue }; return }
                off += w
            }
        }
    }

    /// Go's time.RFC3339Nano in UTC: nanoseconds with trailing zeros trimmed.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var s = "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))"
        var frac = pad(Int32(ts.tv_nsec), 9)
        while frac.hasSuffix("0") { frac.removeLast() }
        if !frac.isEmpty { s += "." + frac }
        return s + "Z"
    }
}

/// The bytes of a stream's unfinished line (only the `ReadinessLoop` thread touches them).
private final class PendingLine: @unchecked Sendable {
    var bytes: [UInt8] = []
}
