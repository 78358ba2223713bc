import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Serves HTTP/1.1 over TLS, handing each whole request to a handler and writing its response,
/// streamed in chunks when the body is a stream (watch, logs).
///
/// Requests on one connection are answered in order. A body larger than `maxBodyBytes` is answered
/// with 413 without reading the rest.
public struct HTTPServer: Sendable {
    public typealias Handler = @Sendable (Request, ConnectionInfo) async -> Response

    public struct ConnectionInfo: Sendable {
        /// The verified client certificate chain's leaf, in DER, if the client presented one.
        public var peerCertificate: [UInt8]?
    }

    public var host: String
    public var port: Int
    public var tls: NIOSSLContext?
    public var maxBodyBytes: Int
    public var logger: Logger
    public var handler: Handler

    public init(host: String, port: Int, tls: NIOSSLContext?, maxBodyBytes: Int = 3 * 1024 * 1024, logger: Logger, handler: @escaping Handler) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
        self.handler = handler
    }

    typealias Connection = NIOAsyncChannel<ServerInbound, ServerOutbound>

    /// Binds and serves until cancelled. `onBound` is called with the bound port once listening.
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let tls = self.tls
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    // configureHTTPServerPipeline's handlers, with a decoder that hands on the bytes
                    // after an upgrade request, and the switch that can take them out again.
                    let encoder = HTTPResponseEncoder()
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                    let pipelining = HTTPServerPipelineHandler()
                    let validator = NIOHTTPResponseHeadersValidator()
                    let errors = HTTPServerProtocolErrorHandler()
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandlers([encoder, decoder, pipelining, validator, errors])
                    try sync.addHandler(HTTPUpgradeSwitch(httpHandlers: [pipelining, validator, errors, encoder, decoder]))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        onBound(server.channel.localAddress?.port ?? port)
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    func serve(_ connection: Connection) async {
        do {
            let info = ConnectionInfo(peerCertificate: nil)
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                var parts = inbound.makeAsyncIterator()
                while let next = try await parts.next() {
                    guard case .http(let part) = next else { continue }
                    switch part {
                    case .head(let h):
                        head = h
                        body = []
                        tooLarge = false
                        if let len = h.headers.first(name: "content-length").flatMap(Int.init), len > maxBodyBytes {
                            tooLarge = true
                        }
                    case .body(var buffer):
                        if tooLarge { continue }
                        if body.count + buffer.readableBytes > maxBodyBytes {
                            tooLarge = true
                            body = []
                            continue
                        }
                        body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
                    case .end:
                        guard let h = head else { continue }
                        head = nil
                        let response: Response
                        if tooLarge {
                            response = .error(.requestEntityTooLarge("the server rejected the request because it was too large"))
                        } else {
                            response = await handler(Request(method: h.method, uri: h.uri, headers: h.headers, body: body), info)
                        }
                        body = []
                        if response.status == .switchingProtocols, let upgrade = response.upgrade {
                            try await outbound.write(.upgrade(HTTPResponseHead(version: h.version, status: .switchingProtocols, headers: response.headers)))
                            try await relay(upgrade, &parts, outbound, connection.channel)
                            return
                        }
                        try await write(response, for: h, to: outbound)
                        // After an upgrade request the decoder reads no further requests.
                        if !h.isKeepAlive || tooLarge || Request.isUpgrade(h.headers) { return }
                    }
                }
            }
        } catch {
            logger.debug("connection closed", metadata: ["error": "\(error)"])
        }
    }

    /// Hands an upgraded connection to `upgrade`: the client's bytes go to it as a stream until
    /// the client closes or `upgrade` returns, which closes the connection.
    func relay(_ upgrade: @escaping @Sendable (UpgradedConnection) async -> Void, _ parts: inout NIOAsyncChannelInboundStream<ServerInbound>.AsyncIterator,
               _ outbound: NIOAsyncChannelOutboundWriter<ServerOutbound>, _ channel: any Channel) async throws {
        let (bytes, continuation) = AsyncStream<[UInt8]>.makeStream()
        let connection = UpgradedConnection(inbound: bytes) { chunk in
            try await outbound.write(.raw(ByteBuffer(bytes: chunk)))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await upgrade(connection)
                channel.close(promise: nil)
            }
            do {
                while let next = try await parts.next() {
                    if case .raw(var buffer) = next, let chunk = buffer.readBytes(length: buffer.readableBytes) {
                        continuation.yield(chunk)
                    }
                }
            } catch {}
            continuation.finish()
            try await group.waitForAll()
        }
    }

    func write(_ response: Response, for request: HTTPRequestHead, to outbound: NIOAsyncChannelOutboundWriter<ServerOutbound>) async throws {
        var headers = response.headers
        switch response.body {
        case .bytes(let bytes):
            headers.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
            try await outbound.write(.http(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers))))
            if request.method != .HEAD && !bytes.isEmpty {
                try await outbound.write(.http(.body(.byteBuffer(ByteBuffer(bytes: bytes)))))
            }
            try await outbound.write(.http(.end(nil)))
        case .stream(let chunks):
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
            try await outbound.write(.http(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers))))
            for await chunk in chunks {
                try await outbound.write(.http(.body(.byteBuffer(ByteBuffer(bytes: chunk)))))
            }
            try await outbound.write(.http(.end(nil)))
        case .events(let events):
            // Only a request from this process asks for objects; a socket gets them as lines.
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
            try await outbound.write(.http(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers))))
            for await event in events {
                try await outbound.write(.http(.body(.byteBuffer(ByteBuffer(bytes: event.line)))))
            }
            try await outbound.write(.http(.end(nil)))
        }
    }
}
