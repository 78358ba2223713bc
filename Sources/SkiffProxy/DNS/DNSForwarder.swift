import Logging
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Sends queries for names outside the cluster zone to upstream nameservers over UDP, one at a
/// time in order, each given `timeout` to answer (CoreDNS's `forward . /etc/resolv.conf`).
///
/// `forward` returns the first upstream's reply with the query's id, or nil when none answers
/// (the responder then sends SERVFAIL).
public struct DNSForwarder: Sendable {
    public struct Upstream: Sendable, Hashable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int = 53) {
            self.host = host
            self.port = port
        }
    }

    public let upstreams: [Upstream]
    public let timeout: Duration
    let logger: Logger

    public init(upstreams: [Upstream], timeout: Duration = .seconds(2), logger: Logger) {
        self.upstreams = upstreams
        self.timeout = timeout
        self.logger = logger
    }

    /// The `nameserver` lines of a resolv.conf, at most three as glibc reads, leaving out the
    /// addresses in `excluding` (the cluster DNS's own, which would loop) and scoped ones.
    public static func upstreams(resolvConf text: String, excluding: Set<String> = []) -> [Upstream] {
        var out: [Upstream] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            let host = String(fields[1])
            // A scoped (link-local) address cannot be reached without its interface: skipped.
            guard IPAddressBytes.parse(host) != nil, !excluding.contains(host) else { continue }
            out.append(Upstream(host: host))
        }
        return Array(out.prefix(3))
    }

    /// The reply of the first upstream that answers, or nil. A query that came over TCP goes
    /// over TCP (as CoreDNS's `forward` does), so a long answer arrives whole.
    public func forward(_ query: [UInt8], id: UInt16, overTCP: Bool = false) async -> [UInt8]? {
        for upstream in upstreams {
            do {
                let reply = overTCP ? try await askOverTCP(upstream, query, id: id) : try await ask(upstream, query, id: id)
                if let reply { return reply }
                logger.debug("upstream timed out", metadata: ["upstream": "\(upstream.host):\(upstream.port)"])
            } catch {
                logger.debug("upstream failed", metadata: ["upstream": "\(upstream.host):\(upstream.port)", "error": "\(error)"])
            }
            if Task.isCancelled { return nil }
        }
        return nil
    }

    func ask(_ upstream: Upstream, _ query: [UInt8], id: UInt16) async throws -> [UInt8]? {
        let address = try SocketAddress(ipAddress: upstream.host, port: upstream.port)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: address.protocol == .inet6 ? "::" : "0.0.0.0", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        let timeout = self.timeout
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: query)))
            return await Self.firstReply(within: timeout, close: { channel.channel.close(promise: nil) }) {
                for try await envelope in inbound where envelope.remoteAddress == address {
                    let reply = Array(buffer: envelope.data)
                    if DNSMessage.headerID(reply) == id { return reply }
                }
                return nil
            }
        }
    }

    func askOverTCP(_ upstream: Upstream, _ query: [UInt8], id: UInt16) async throws -> [UInt8]? {
        let timeout = self.timeout
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .connect(host: upstream.host, port: upstream.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var frame = ByteBuffer()
            frame.writeInteger(UInt16(query.count))
            frame.writeBytes(query)
            try await outbound.write(frame)
            return await Self.firstReply(within: timeout, close: { channel.channel.close(promise: nil) }) {
                for try await message in inbound {
                    let reply = Array(buffer: message)
                    if DNSMessage.headerID(reply) == id { return reply }
                }
                return nil
            }
        }
    }

    /// What `read` returns (nil when it fails), unless `timeout` passes first; the channel is
    /// closed (`close`) either way.
    static func firstReply(within timeout: Duration, close: @escaping @Sendable () -> Void,
                           _ read: @escaping @Sendable () async throws -> [UInt8]?) async -> [UInt8]? {
        await withTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { (try? await read()) ?? nil }
            group.addTask {
                try? await Task.sleep(for: timeout)
                close()
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            close()
            return first
        }
    }
}
