import NIOCore
import NIOHTTP1

/// Accepts `Upgrade: SPDY/3.1` as the kubelet's `httpstream` handshake does: for
/// `/portForward/...` when the client offers `X-Stream-Protocol-Version: portforward.k8s.io`, for
/// `/exec/...` and `/attach/...` when it offers `v4.channel.k8s.io` (kubectl before 1.30 runs
/// exec and attach over SPDY), and only with a valid token. The 101 names the protocol chosen.
/// Anything else is refused and answered over HTTP with the reason.
struct SPDYUpgrader<Result: Sendable>: NIOTypedHTTPServerProtocolUpgrader {
    enum Target: Sendable {
        case portForward(PortForwardRequest)
        case exec(ExecRequest)
        case attach(ExecRequest)
    }

    /// The remote command protocol answered over SPDY (v5 differs only over WebSocket).
    static var remoteCommandProtocol: String { StreamProtocol.v4.rawValue }

    let server: KubeletServer
    let makeResult: @Sendable (any Channel, Target) throws -> Result

    var supportedProtocol: String { "SPDY/3.1" }
    var requiredUpgradeHeaders: [String] { [] }

    static func target(_ head: HTTPRequestHead) -> (Target, String)? {
        let target = KubeletRequestTarget(uri: head.uri)
        let offered = head.headers["X-Stream-Protocol-Version"]
        if let r = try? PortForwardRequest.parse(target), PortForwardRequest.offers(offered, PortForwardRequest.spdyProtocol) {
            return (.portForward(r), PortForwardRequest.spdyProtocol)
        }
        guard PortForwardRequest.offers(offered, remoteCommandProtocol) else { return nil }
        if let r = try? ExecRequest.parse(target) { return (.exec(r), remoteCommandProtocol) }
        if let r = try? ExecRequest.parseAttach(target) { return (.attach(r), remoteCommandProtocol) }
        return nil
    }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        guard server.authorized(upgradeRequest.headers), let (_, proto) = Self.target(upgradeRequest) else {
            return channel.eventLoop.makeFailedFuture(KubeletStreamingError.badRequest("not a streaming request"))
        }
        var headers = initialResponseHeaders
        headers.add(name: "X-Stream-Protocol-Version", value: proto)
        return channel.eventLoop.makeSucceededFuture(headers)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Result> {
        channel.eventLoop.makeCompletedFuture {
            guard let (target, _) = Self.target(upgradeRequest) else {
                throw KubeletStreamingError.badRequest("not a streaming request")
            }
            return try makeResult(channel, target)
        }
    }
}
