import NIOCore
import NIOHTTP1

/// Runs one HTTP exchange at a time on a connection: writes the request it is given and delivers
/// the response to the exchange's sink, whole or as a stream of body chunks.
///
/// If the connection closes or fails mid-exchange, the sink fails with `ClientError.connectionClosed`
/// (or the error seen). Lives on the channel's event loop only.
final class HTTPClientChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    struct Exchange: Sendable {
        var head: HTTPRequestHead
        var body: [UInt8]
        var sink: Sink
    }

    enum Sink: Sendable {
        case whole(EventLoopPromise<Completed>)
        case stream(EventLoopPromise<StreamHead>, AsyncThrowingStream<[UInt8], any Error>.Continuation)
    }

    struct Completed: Sendable {
        var response: TransportResponse
        var keepAlive: Bool
    }

    struct StreamHead: Sendable {
        var status: Int
        var headers: [String: String]
    }

    var sink: Sink?
    var status = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var keepAlive = true
    var headDelivered = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        if sink != nil {
            promise?.fail(ClientError(.invalidResponse, "a request is already in flight on this connection"))
            return
        }
        sink = exchange.sink
        status = 0
        headers = [:]
        body = []
        keepAlive = true
        headDelivered = false
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if !exchange.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: exchange.body)))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
            for (name, value) in head.headers {
                let key = name.lowercased()
                headers[key] = headers[key].map { $0 + ", " + value } ?? value
            }
            if case .stream(let headPromise, _) = sink {
                headDelivered = true
                headPromise.succeed(StreamHead(status: status, headers: headers))
            }
        case .body(var buffer):
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            switch sink {
            case .whole: body += bytes
            case .stream(_, let continuation): continuation.yield(bytes)
            case nil: break
            }
        case .end:
            let finished = sink
            sink = nil
            switch finished {
            case .whole(let promise):
                promise.succeed(Completed(response: TransportResponse(status: status, headers: headers, body: body), keepAlive: keepAlive))
            case .stream(_, let continuation):
                continuation.finish()
                context.close(promise: nil)
            case nil: break
            }
            body = []
            if !keepAlive { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ClientError(.connectionClosed, "the connection closed before the response ended"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func fail(_ error: any Error) {
        let failed = sink
        sink = nil
        switch failed {
        case .whole(let promise):
            promise.fail(error)
        case .stream(let headPromise, let continuation):
            if !headDelivered { headPromise.fail(error) }
            continuation.finish(throwing: error)
        case nil:
            break
        }
    }
}
