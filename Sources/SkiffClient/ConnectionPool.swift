import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The idle keep-alive connections of one `HTTPTransport`, and how new ones are opened.
///
/// A connection is used by one exchange at a time: `acquire` hands it out exclusively and
/// `release` returns it. Connections the server closed while idle are dropped on the next acquire.
actor ConnectionPool {
    let host: String
    let port: Int
    let serverName: String?
    let ssl: NIOSSLContext?
    let maxIdle: Int
    let connectTimeout: Duration
    var idle: [any Channel] = []
    /// Connections opened so far (pooled and streaming).
    nonisolated let opened = Atomic<Int>(0)

    init(host: String, port: Int, serverName: String?, ssl: NIOSSLContext?, maxIdle: Int, connectTimeout: Duration) {
        self.host = host
        self.port = port
        self.serverName = serverName
        self.ssl = ssl
        self.maxIdle = maxIdle
        self.connectTimeout = connectTimeout
    }

    /// An idle connection (reused: true) or a new one.
    func acquire() async throws -> (any Channel, reused: Bool) {
        while let channel = idle.popLast() {
            if channel.isActive { return (channel, true) }
        }
        return (try await connect(), false)
    }

    /// Returns a connection whose exchange has ended and that the server keeps open.
    func release(_ channel: any Channel) {
        if channel.isActive && idle.count < maxIdle {
            idle.append(channel)
        } else {
            channel.close(promise: nil)
        }
    }

    func closeAll() {
        for c in idle { c.close(promise: nil) }
        idle.removeAll()
    }

    /// Opens a connection with TLS (if configured) and the HTTP/1.1 client pipeline.
    nonisolated func connect() async throws -> any Channel {
        let ssl = self.ssl
        let host = self.host
        let sni = serverName ?? (Self.isIPAddress(host) ? nil : host)
        let timeout = TimeAmount.nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000
            + connectTimeout.components.attoseconds / 1_000_000_000)
        opened.add(1, ordering: .relaxed)
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let ssl {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: ssl, serverHostname: sni))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(HTTPClientChannelHandler())
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch {
            throw ClientError(.connectionFailed, "cannot connect to \(host):\(port)", cause: error)
        }
    }

    /// Whether `host` is an IPv4 or IPv6 literal (sent without SNI; verified against IP SANs).
    static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
