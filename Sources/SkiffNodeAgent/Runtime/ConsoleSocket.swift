import Foundation
import Glibc

/// A Unix socket runc sends a container terminal's master side to (`--console-socket`).
final class ConsoleSocket: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RuntimeError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw RuntimeError("console socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 1) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw RuntimeError("console socket \(path): \(message)")
        }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Waits (at most `timeout` seconds, or until `gaveUp` says runc is gone) for runc to connect
    /// and send the terminal's master descriptor.
    func receiveTerminal(timeout: Double, gaveUp: () -> Bool) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&pfd, 1, 100) <= 0 {
            if gaveUp() || Date() > deadline { throw RuntimeError("runc did not send a terminal") }
        }
        let conn = accept(fd, nil, nil)
        guard conn >= 0 else { throw RuntimeError("accept: \(String(cString: strerror(errno)))") }
        _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
        defer { close(conn) }
        var name = [UInt8](repeating: 0, count: 512)
        var control = [UInt8](repeating: 0, count: 64)
        let received: Int = name.withUnsafeMutableBytes { namePtr in
            control.withUnsafeMutableBytes { controlPtr in
                var iov = iovec(iov_base: namePtr.baseAddress, iov_len: namePtr.count)
                return withUnsafeMutablePointer(to: &iov) { iovPtr in
                    var msg = msghdr()
                    msg.msg_iov = iovPtr
                    msg.msg_iovlen = 1
                    msg.msg_control = controlPtr.baseAddress
                    msg.msg_controllen = controlPtr.count
                    // MSG_CMSG_CLOEXEC: the terminal never leaks into a process spawned meanwhile.
                    return recvmsg(conn, &msg, Int32(MSG_CMSG_CLOEXEC))
                }
            }
        }
        guard received >= 0 else { throw RuntimeError("recvmsg: \(String(cString: strerror(errno)))") }
        // One cmsghdr { size_t len; int level; int type; } then the descriptor: SOL_SOCKET (1), SCM_RIGHTS (1).
        let header = MemoryLayout<Int>.size + 8
        let level = control.withUnsafeBytes { $0.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self) }
        let type = control.withUnsafeBytes { $0.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self) }
        guard level == SOL_SOCKET, type == 1 else { throw RuntimeError("runc sent no terminal descriptor") }
        let master = control.withUnsafeBytes { $0.load(fromByteOffset: header, as: Int32.self) }
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        return master
    }

    /// Sets a terminal's size (`TIOCSWINSZ`).
    static func resize(_ fd: Int32, width: UInt16, height: UInt16) {
        var size = winsize(ws_row: height, ws_col: width, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(fd, UInt(TIOCSWINSZ), &size)
    }
}
