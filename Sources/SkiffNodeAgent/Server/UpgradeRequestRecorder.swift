import NIOCore
import NIOHTTP1
import Synchronization

/// Keeps the head of a connection's first request, then leaves the pipeline.
///
/// NIO's upgrade handler consumes the head of a request that asks to upgrade; when no upgrader
/// accepts it, only the request's `.end` reaches the HTTP handler. The recorded head lets the
/// server still answer such a request with the reason (e.g. a SPDY upgrade for `exec`).
final class UpgradeRequestRecorder: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    let head = Mutex<HTTPRequestHead?>(nil)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let h) = unwrapInboundIn(data) {
            head.withLock { $0 = h }
            context.fireChannelRead(data)
            // What follows an accepted upgrade is not HTTP: step aside before it comes.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}
