import Foundation
import Glibc

extension Namespaces {
    /// Connects to `127.0.0.1:port` inside the network namespace pinned at `netPath` (nil: the
    /// agent's own, for a host-network Pod), as the CRI's port forwarding does. The socket is made
    /// on a thread of its own that enters the namespace and leaves it again, so it belongs to the
    /// Pod's namespace; the returned descriptor belongs to the caller.
    ///
    /// Errors read as containerd's, e.g. `failed to connect to localhost:80 inside namespace
    /// "<path>", IPv4: dial tcp4 127.0.0.1:80: connect: connection refused`.
    static func connectLoopback(netPath: String?, port: Int) async throws -> Int32 {
        try await onOwnThread { () throws(RuntimeError) -> Int32 in
            guard let netPath else { return try dialLoopback(port: port, namespace: "host") }
            let setns = try libc("setns", as: SetnsFunction.self)
            let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard original >= 0 else { throw RuntimeError("open /proc/thread-self/ns/net: \(errnoText())") }
            defer { close(original) }
            let target = open(netPath, O_RDONLY | O_CLOEXEC)
            guard target >= 0 else {
                throw RuntimeError("failed to execute portforward in network namespace \"\(netPath)\": open: \(errnoText())")
            }
            defer { close(target) }
            guard setns(target, net) == 0 else {
                throw RuntimeError("failed to execute portforward in network namespace \"\(netPath)\": setns: \(errnoText())")
            }
            defer {
                if setns(original, net) != 0 {
                    // A thread left in a Pod's namespace must not run anything else: stop the process.
                    fatalError("setns back to the agent's network namespace failed: \(errnoText())")
                }
            }
            do {
                return try dialLoopback(port: port, namespace: netPath)
            } catch {
                throw RuntimeError("failed to execute portforward in network namespace \"\(netPath)\": \(error)")
            }
        }
    }

    /// A blocking TCP connect to 127.0.0.1:`port` in the thread's network namespace.
    static func dialLoopback(port: Int, namespace: String) throws(RuntimeError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RuntimeError("socket: \(errnoText())") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        var rc: Int32
        repeat {
            rc = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } while rc != 0 && errno == EINTR
        if rc != 0 {
            let reason = errnoText()
            close(fd)
            // Go's wording: lower-case errno text.
            let goReason = reason.prefix(1).lowercased() + reason.dropFirst()
            throw RuntimeError("failed to connect to localhost:\(port) inside namespace \"\(namespace)\", IPv4: dial tcp4 127.0.0.1:\(port): connect: \(goReason)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }
}
