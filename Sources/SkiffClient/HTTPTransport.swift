import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// HTTP/1.1 to an API server over TLS (or plain TCP for `http://`), with a pool of keep-alive
/// connections and a bearer token.
///
/// Whole-response requests share the pooled connections, one request at a time per connection;
/// a connection goes back to the pool when its response has ended and the server kept it open.
/// Each `stream` (watch) gets a connection of its own, closed when the stream ends or is
/// cancelled. A request that fails on a reused connection before any response arrived is retried
/// once on a new connection, unless it is a `POST` or `PATCH`.
///
/// ```swift
/// let transport = try HTTPTransport(kubeconfig: try Kubeconfig.load(path: "/var/lib/skiff/kubeconfig"))
/// let client = Client(transport: transport)
/// ```
public final class HTTPTransport: Transport {
    public struct Configuration: Sendable {
        /// `https` (default) or `http`.
        public var scheme: String
        public var host: String
        public var port: Int
        /// Trust, client certificate and verification for `https`; ignored for `http`.
        public var tls: TLSConfiguration
        /// The name to send as SNI and verify the certificate against, if not `host`.
        public var serverName: String?
        /// Sent as `Authorization: Bearer <token>` unless a request has its own `authorization`.
        public var bearerToken: String?
        /// Idle connections kept open for reuse. Default 8.
        public var maxIdleConnections: Int = 8
        /// Default 10 s.
        public var connectTimeout: Duration = .seconds(10)

        public init(scheme: String = "https", host: String, port: Int, tls: TLSConfiguration = .makeClientConfiguration(),
                    bearerToken: String? = nil) {
            self.scheme = scheme
            self.host = host
            self.port = port
            self.tls = tls
            self.bearerToken = bearerToken
        }
    }

    public let configuration: Configuration
    let sslContext: NIOSSLContext?
    let pool: ConnectionPool
    let hostHeader: String

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        sslContext = configuration.scheme == "https" ? try NIOSSLContext(configuration: configuration.tls) : nil
        let defaultPort = configuration.scheme == "https" ? 443 : 80
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        hostHeader = configuration.port == defaultPort ? host : "\(host):\(configuration.port)"
        pool = ConnectionPool(host: configuration.host, port: configuration.port, serverName: configuration.serverName, ssl: sslContext,
                              maxIdle: configuration.maxIdleConnections, connectTimeout: configuration.connectTimeout)
    }

    /// A transport for the kubeconfig's server, trusting its CA and presenting its credentials.
    public convenience init(kubeconfig: Kubeconfig) throws {
        try self.init(configuration: kubeconfig.transportConfiguration())
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let head = requestHead(request)
        var attempt = 0
        while true {
            let (channel, reused) = try await pool.acquire()
            let promise = channel.eventLoop.makePromise(of: HTTPClientChannelHandler.Completed.self)
            do {
                try await channel.writeAndFlush(HTTPClientChannelHandler.Exchange(head: head, body: request.body, sink: .whole(promise)))
                let completed = try await withTaskCancellationHandler {
                    try await promise.futureResult.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
                if completed.keepAlive { await pool.release(channel) } else { channel.close(promise: nil) }
                return completed.response
            } catch {
                channel.close(promise: nil)
                promise.fail(error)
                let retriable = reused && attempt == 0 && !["POST", "PATCH"].contains(request.method) && !Task.isCancelled
                if retriable, let e = error as? ClientError, e.code == .connectionClosed {
                    attempt += 1
                    continue
                }
                throw error
            }
        }
    }

    public func stream(_ request: TransportRequest) async throws -> TransportStream {
        let channel = try await pool.connect()
        let headPromise = channel.eventLoop.makePromise(of: HTTPClientChannelHandler.StreamHead.self)
        let (body, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        continuation.onTermination = { _ in channel.close(promise: nil) }
        do {
            try await channel.writeAndFlush(HTTPClientChannelHandler.Exchange(head: requestHead(request), body: request.body,
                                                                              sink: .stream(headPromise, continuation)))
            let head = try await withTaskCancellationHandler {
                try await headPromise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
            return TransportStream(status: head.status, headers: head.headers, body: body) { channel.close(promise: nil) }
        } catch {
            channel.close(promise: nil)
            headPromise.fail(error)
            throw error
        }
    }

    /// The number of connections opened so far (a measure of keep-alive reuse).
    public var connectionsOpened: Int { pool.opened.load(ordering: .relaxed) }

    /// Closes the idle connections. Connections in use close when their exchange ends.
    public func shutdown() async {
        await pool.closeAll()
    }

    func requestHead(_ request: TransportRequest) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        if let token = configuration.bearerToken, request.headers["authorization"] == nil {
            headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            headers.replaceOrAdd(name: "Content-Length", value: String(request.body.count))
        }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.path, headers: headers)
    }
}
