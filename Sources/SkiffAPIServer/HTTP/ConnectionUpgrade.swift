import NIOCore
import NIOHTTP1

/// A connection after `101 Switching Protocols`: the client's bytes as they arrive, and a way to
/// send bytes back. Handed to `Response.upgrade`.
public struct UpgradedConnection: Sendable {
    /// The client's bytes; ends when the client closes its side.
    public let inbound: AsyncStream<[UInt8]>
    let send: @Sendable ([UInt8]) async throws -> Void

    public init(inbound: AsyncStream<[UInt8]>, send: @escaping @Sendable ([UInt8]) async throws -> Void) {
        self.inbound = inbound
        self.send = send
    }

    public func write(_ bytes: [UInt8]) async throws { try await send(bytes) }
}

/// What a server connection reads: HTTP request parts, then raw bytes once upgraded.
enum ServerInbound: Sendable {
    case http(HTTPServerRequestPart)
    case raw(ByteBuffer)
}

/// What a server connection writes: HTTP response parts; `upgrade` sends a 101 head and switches
/// the connection to raw bytes.
enum ServerOutbound: Sendable {
    case http(HTTPServerResponsePart)
    case upgrade(HTTPResponseHead)
    case raw(ByteBuffer)
}

/// Sits after the HTTP codec. On `.upgrade` it writes the 101 head, then takes the HTTP handlers
/// out of the pipeline (the request decoder hands on the bytes it held back since the upgrade
/// request) and puts a `RawBytesHandler` in its own place.
final class HTTPUpgradeSwitch: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ServerInbound
    typealias OutboundIn = ServerOutbound
    typealias OutboundOut = HTTPServerResponsePart

    /// The HTTP handlers to remove on upgrade; the request decoder last, so the bytes it holds
    /// reach the raw handler.
    private let httpHandlers: [any RemovableChannelHandler]

    init(httpHandlers: [any RemovableChannelHandler]) {
        self.httpHandlers = httpHandlers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.http(unwrapInboundIn(data))))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .http(let part):
            context.write(wrapOutboundOut(part), promise: promise)
        case .raw:
            promise?.fail(ChannelError.inappropriateOperationForState)
        case .upgrade(let head):
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            context.flush()
            let pipeline = context.pipeline.syncOperations
            do {
                try pipeline.addHandler(RawBytesHandler(), position: .after(self))
            } catch {
                context.fireErrorCaught(error)
                context.close(promise: nil)
                return
            }
            pipeline.removeHandler(context: context, promise: nil)
            for handler in httpHandlers { pipeline.removeHandler(handler, promise: nil) }
        }
    }
}

/// Raw bytes both ways on an upgraded connection.
final class RawBytesHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ServerInbound
    typealias OutboundIn = ServerOutbound
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.raw(unwrapInboundIn(data))))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .raw(let bytes): context.write(wrapOutboundOut(bytes), promise: promise)
        case .http, .upgrade: promise?.fail(ChannelError.inappropriateOperationForState)
        }
    }
}
