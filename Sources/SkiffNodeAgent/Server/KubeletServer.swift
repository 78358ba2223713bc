import Foundation
import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The node agent's HTTPS API on the kubelet's port (10250): `GET /containerLogs/...`,
/// `/exec/...` and `/attach/...` over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`) or
/// SPDY/3.1 (`v4.channel.k8s.io`), `/portForward/...` over SPDY/3.1 (`portforward.k8s.io`) or
/// SPDY tunnelled in WebSocket (`SPDY/3.1+portforward.k8s.io`), `/healthz`, and for a backend
/// that is also a `KubeletStatsBackend`, `/stats/summary` and `/metrics/resource`.
///
/// The API server reaches it for `kubectl logs`, `exec`, `attach` and `port-forward`
/// (`pods/log`, `pods/exec`, `pods/attach`, `pods/portforward`, `nodes/proxy`). Every request but `/healthz` must carry `Authorization: Bearer <token>` with
/// one of `Configuration.bearerTokens` (the API server's kubelet client token); others get 401.
///
/// ```swift
/// let server = try KubeletServer(configuration: .init(port: 10250, certificatePath: "agent.crt",
///                                keyPath: "agent.key", bearerTokens: [token]), backend: worker, logger: logger)
/// try await server.run()
/// ```
public struct KubeletServer: Sendable {
    public struct Configuration: Sendable {
        /// Address to listen on (the kubelet's default is every address).
        public var host: String
        /// 10250, the kubelet's port; 0 picks a free one (see `run(onBound:)`).
        public var port: Int
        /// PEM serving certificate chain and key; both nil serves plain HTTP (tests only).
        public var certificatePath: String?
        public var keyPath: String?
        /// Bearer tokens allowed to use the API.
        public var bearerTokens: [String]
        /// How often `follow` looks for new log lines.
        public var followPollInterval: Duration
        /// How often CPU is sampled for `usageNanoCores` (a stats backend only); the kubelet's
        /// housekeeping runs every 10 s.
        public var statsSamplingInterval: Duration = .seconds(10)

        public init(host: String = "0.0.0.0", port: Int = 10250, certificatePath: String?, keyPath: String?,
                    bearerTokens: [String], followPollInterval: Duration = .milliseconds(100)) {
            self.host = host
            self.port = port
            self.certificatePath = certificatePath
            self.keyPath = keyPath
            self.bearerTokens = bearerTokens
            self.followPollInterval = followPollInterval
        }
    }

    public let configuration: Configuration
    let backend: any KubeletStreamingBackend
    let logger: Logger
    let tls: NIOSSLContext?
    /// Reads the stats when the backend is a `KubeletStatsBackend`.
    let stats: StatsCollector?

    /// Loads the serving certificate; throws when it cannot be read.
    public init(configuration: Configuration, backend: any KubeletStreamingBackend, logger: Logger) throws {
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
        stats = backend is any KubeletStatsBackend ? StatsCollector() : nil
        if let cert = configuration.certificatePath, let key = configuration.keyPath {
            tls = try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))))
        } else {
            tls = nil
        }
    }

    enum Connection: Sendable {
        /// A plain HTTP connection; `refusedUpgrade` is the head of a first request that asked to
        /// upgrade and was refused (NIO delivers only its `.end`).
        case http(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, refusedUpgrade: HTTPRequestHead?)
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, ExecRequest, StreamProtocol)
        case attach(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, ExecRequest, StreamProtocol)
        case tunnel(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, PortForwardRequest)
        case spdy(NIOAsyncChannel<ByteBuffer, ByteBuffer>, SPDYUpgrader<Connection>.Target)
    }

    /// Binds and serves until cancelled; `onBound` gets the bound port once listening.
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        signal(SIGPIPE, SIG_IGN)  // a process that exits leaves its stdin pipe without a reader
        let tls = self.tls
        let server = self
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    let upgrader = NIOTypedWebSocketServerUpgrader<Connection>(
                        maxFrameSize: 1 << 20,
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeSucceededFuture(server.upgradeHeaders(head))
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 12, maxAccumulatedFrameSize: 1 << 24))
                                let ws = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                                let target = KubeletRequestTarget(uri: head.uri)
                                if let forward = try PortForwardRequest.parse(target) { return Connection.tunnel(ws, forward) }
                                guard let proto = StreamProtocol.negotiate(head.headers["Sec-WebSocket-Protocol"]) else {
                                    throw KubeletStreamingError.badRequest("not an exec request")
                                }
                                if let request = try ExecRequest.parse(target) { return Connection.websocket(ws, request, proto) }
                                if let request = try ExecRequest.parseAttach(target) { return Connection.attach(ws, request, proto) }
                                throw KubeletStreamingError.badRequest("not an exec request")
                            }
                        })
                    let spdy = SPDYUpgrader<Connection>(server: server) { channel, target in
                        Connection.spdy(try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel), target)
                    }
                    let recorder = UpgradeRequestRecorder()
                    let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: .init(upgraders: [upgrader, spdy], notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                let head = recorder.head.withLock { $0 }
                                return Connection.http(try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel),
                                                       refusedUpgrade: head.flatMap { $0.headers["upgrade"].isEmpty ? nil : $0 })
                            }
                        })))
                    let upgradeHandler = try channel.pipeline.syncOperations.handler(type: NIOTypedHTTPServerUpgradeHandler<Connection>.self)
                    try channel.pipeline.syncOperations.addHandler(recorder, position: .before(upgradeHandler))
                    return negotiated
                }
            }
        onBound(listener.channel.localAddress?.port ?? configuration.port)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await server.runStatsSampler() }
            defer { group.cancelAll() }
            try await listener.executeThenClose { inbound in
                for try await negotiated in inbound {
                    group.addTask {
                        do {
                            switch try await negotiated.get() {
                            case .http(let channel, let refused): await server.serveHTTP(channel, refusedUpgrade: refused)
                            case .websocket(let channel, let request, let proto): await server.serveExec(channel, request, proto)
                            case .attach(let channel, let request, let proto): await server.serveAttach(channel, request, proto)
                            case .tunnel(let channel, let request): await server.serveTunnel(channel, request)
                            case .spdy(let channel, .portForward(let request)): await server.serveSPDY(channel, request)
                            case .spdy(let channel, .exec(let request)): await server.serveRemoteCommand(channel, request, attach: false)
                            case .spdy(let channel, .attach(let request)): await server.serveRemoteCommand(channel, request, attach: true)
                            }
                        } catch {
                            server.logger.debug("connection failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
        }
    }

    /// The headers to accept a WebSocket upgrade with, nil to refuse it (the request is then
    /// answered over HTTP with the reason).
    func upgradeHeaders(_ head: HTTPRequestHead) -> HTTPHeaders? {
        guard authorized(head.headers) else { return nil }
        let target = KubeletRequestTarget(uri: head.uri)
        if (try? PortForwardRequest.parse(target)) != nil {
            guard PortForwardRequest.offers(head.headers["Sec-WebSocket-Protocol"], PortForwardRequest.tunnelProtocol) else { return nil }
            return ["Sec-WebSocket-Protocol": PortForwardRequest.tunnelProtocol]
        }
        guard (try? ExecRequest.parse(target)) != nil || (try? ExecRequest.parseAttach(target)) != nil,
              let proto = StreamProtocol.negotiate(head.headers["Sec-WebSocket-Protocol"]) else { return nil }
        return ["Sec-WebSocket-Protocol": proto.rawValue]
    }

    /// Whether the request carries one of the configured bearer tokens (compared in constant time).
    func authorized(_ headers: HTTPHeaders) -> Bool {
        guard let header = headers.first(name: "authorization"), header.lowercased().hasPrefix("bearer ") else { return false }
        let presented = Array(header.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
        var ok = false
        for token in configuration.bearerTokens {
            let t = Array(token.utf8)
            guard t.count == presented.count, !t.isEmpty else { continue }
            var diff: UInt8 = 0
            for i in 0..<t.count { diff |= t[i] ^ presented[i] }
            if diff == 0 { ok = true }
        }
        return ok
    }
}
