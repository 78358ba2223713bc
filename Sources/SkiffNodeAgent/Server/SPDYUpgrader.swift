import NIOCore
import NIOHTTP1

/// Accepts `Upgrade: SPDY/3.1` for `/portForward/...` when the client offers
/// `X-Stream-Protocol-Version: portforward.k8s.io` and carries a valid token, as the kubelet's
/// `httpstream` handshake does; the 101 names the protocol chosen. Anything else is refused and
/// answered over HTTP with the reason.
struct SPDYUpgrader<Result: Sendable>: NIOTypedHTTPServerProtocolUpgrader {
    let server: KubeletServer
    let makeResult: @Sendable (any Channel, HTTPRequestHead, PortForwardRequest) throws -> Result

    var supportedProtocol: String { "SPDY/3.1" }
    var requiredUpgradeHeaders: [String] { [] }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        guard server.authorized(upgradeRequest.headers),
              (try? PortForwardRequest.parse(KubeletRequestTarget(uri: upgradeRequest.uri))) != nil,
              PortForwardRequest.offers(upgradeRequest.headers["X-Stream-Protocol-Version"], PortForwardRequest.spdyProtocol) else {
            return channel.eventLoop.makeFailedFuture(KubeletStreamingError.badRequest("not a port forward request"))
        }
        var headers = initialResponseHeaders
        headers.add(name: "X-Stream-Protocol-Version", value: PortForwardRequest.spdyProtocol)
        return channel.eventLoop.makeSucceededFuture(headers)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Result> {
        channel.eventLoop.makeCompletedFuture {
            guard let r = try PortForwardRequest.parse(KubeletRequestTarget(uri: upgradeRequest.uri)) else {
                throw KubeletStreamingError.badRequest("not a port forward request")
            }
            return try makeResult(channel, upgradeRequest, r)
        }
    }
}
