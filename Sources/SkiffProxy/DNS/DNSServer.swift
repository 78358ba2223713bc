import Logging
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Serves DNS on UDP and TCP (RFC 1035 4.2; TCP messages carry a two-byte length) at one address
/// and port, answering each query with `DNSResponder`.
///
/// With `freeBind` the sockets are bound with IP_FREEBIND, so the server can start before the
/// address exists (the Pods' bridge gets its gateway address with the first Pod). `run()` serves
/// until its task is cancelled; queries are answered concurrently, each in a child task.
///
/// ```swift
/// let server = DNSServer(configuration: .init(host: "10.42.0.1", port: 53, freeBind: true),
///                        responder: responder, logger: logger)
/// try await server.run { port in logger.info("listening", metadata: ["port": "\(port)"]) }
/// ```
public struct DNSServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 53 by default; 0 picks a free port (UDP's, which TCP then binds too).
        public var port: Int
        public var freeBind: Bool
        /// How long a TCP connection may stay idle before it is closed.
        public var tcpIdleTimeout: Duration = .seconds(10)

        public init(host: String, port: Int = 53, freeBind: Bool = false) {
            self.host = host
            self.port = port
            self.freeBind = freeBind
        }
    }

    public let configuration: Configuration
    let responder: DNSResponder
    let logger: Logger

    public init(configuration: Configuration, responder: DNSResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
    }

    var freeBindOption: ChannelOptions.Types.SocketOption {
        #if os(Linux)
        ChannelOptions.Types.SocketOption(level: .ip, name: .init(rawValue: CInt(IP_FREEBIND)))
        #else
        ChannelOptions.Types.SocketOption(level: .socket, name: .so_reuseaddr)
        #endif
    }

    /// Binds both sockets, calls `onListening` with the port, and serves until cancelled.
    public func run(onListening: @Sendable (Int) -> Void = { _ in }) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        // No SO_REUSEADDR on UDP: on Linux it would let a second server share the port.
        let udp = try await DatagramBootstrap(group: group)
            .channelOption(freeBindOption, value: configuration.freeBind ? 1 : 0)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        let port = udp.channel.localAddress?.port ?? configuration.port
        let tcp: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            tcp = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(freeBindOption, value: configuration.freeBind ? 1 : 0)
                .bind(host: configuration.host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            try? await udp.channel.close()
            throw error
        }
        logger.info("cluster DNS listening", metadata: ["address": "\(configuration.host):\(port)"])
        onListening(port)
        let responder = self.responder, logger = self.logger, idle = configuration.tcpIdleTimeout
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await udp.executeThenClose { inbound, outbound in
                    try await withThrowingDiscardingTaskGroup { queries in
                        for try await envelope in inbound {
                            queries.addTask {
                                guard let reply = await responder.respond(to: Array(buffer: envelope.data), overTCP: false) else { return }
                                try? await outbound.write(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply)))
                            }
                        }
                    }
                }
            }
            group.addTask {
                try await tcp.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { all in
                        for try await connection in connections {
                            all.addTask { await Self.serve(connection, responder: responder, idle: idle, logger: logger) }
                        }
                    }
                }
            }
            // Cancelling the task ends both loops: closing the channels finishes their sequences.
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        udp.channel.closeFuture.whenComplete { _ in c.resume() }
                    }
                } onCancel: {
                    udp.channel.close(promise: nil)
                    tcp.channel.close(promise: nil)
                }
                tcp.channel.close(promise: nil)
            }
        }
    }

    /// Answers the queries of one TCP connection until it closes or stays idle for `idle`.
    static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, responder: DNSResponder, idle: Duration,
                      logger: Logger) async {
        let channel = connection.channel
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withThrowingDiscardingTaskGroup { group in
                    let idleTimer = IdleTimer(channel: channel, timeout: idle)
                    group.addTask { await idleTimer.run() }
                    // Queries are answered concurrently; the connection ends once all are.
                    try await withThrowingDiscardingTaskGroup { queries in
                        for try await frame in inbound {
                            idleTimer.touch()
                            queries.addTask {
                                guard let reply = await responder.respond(to: Array(buffer: frame), overTCP: true) else { return }
                                var out = ByteBuffer()
                                out.writeInteger(UInt16(reply.count))
                                out.writeBytes(reply)
                                try? await outbound.write(out)
                            }
                        }
                    }
                    group.cancelAll()  // the timer
                }
            }
        } catch {
            logger.debug("DNS TCP connection failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Splits a TCP byte stream into DNS messages (each after a two-byte length).
struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        let frame = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
