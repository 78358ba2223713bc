/// How the client reaches an API server: one HTTP exchange at a time.
///
/// Implementations: `HTTPTransport` (HTTPS over the network, with a keep-alive connection pool),
/// and in one process an adapter over the API server's handler. A transport adds its own
/// credentials (a bearer token); everything else about the request is the caller's.
///
/// Contract:
/// - `send` returns any HTTP status (4xx and 5xx included); it throws only when no response was
///   received (connection refused, TLS failure, connection lost mid-response, cancellation).
/// - `stream` returns once the response head has arrived; the body then arrives chunk by chunk
///   until the server ends it (the stream finishes), the connection fails (the stream throws), or
///   the caller calls `cancel` or stops iterating under cancellation.
public protocol Transport: Sendable {
    /// Sends one request and returns the whole response.
    func send(_ request: TransportRequest) async throws -> TransportResponse

    /// Sends one request and returns the response head with its body as a stream (watch, logs).
    func stream(_ request: TransportRequest) async throws -> TransportStream
}

/// One HTTP request: method, path with its query (already percent-encoded), headers and body.
public struct TransportRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    public var method: String
    /// The path and query, for example `/api/v1/namespaces/default/pods?watch=true`.
    public var path: String
    /// Header names are case-insensitive; use lowercase.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// A whole HTTP response. Header names are lowercase; repeated headers are joined with `, `.
public struct TransportResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A response whose body is still arriving.
public struct TransportStream: Sendable {
    public var status: Int
    public var headers: [String: String]
    /// The body's chunks as they arrive; chunk boundaries carry no meaning.
    public var body: AsyncThrowingStream<[UInt8], any Error>
    /// Stops the body early: closes the connection or cancels the producer. Idempotent.
    public var cancel: @Sendable () -> Void
    /// A watch's events already decoded, when the transport has them as objects (a transport to
    /// an API server in the same process); `body` is then empty. Dropping the stream ends the watch.
    public var events: AsyncThrowingStream<Client.WatchEvent, any Error>?

    public init(status: Int, headers: [String: String] = [:], body: AsyncThrowingStream<[UInt8], any Error>,
                cancel: @escaping @Sendable () -> Void) {
        self.status = status
        self.headers = headers
        self.body = body
        self.cancel = cancel
    }

    /// A watch response whose events arrive as objects.
    public init(status: Int, headers: [String: String] = [:], events: AsyncThrowingStream<Client.WatchEvent, any Error>,
                cancel: @escaping @Sendable () -> Void) {
        self.init(status: status, headers: headers, body: AsyncThrowingStream { nil }, cancel: cancel)
        self.events = events
    }

    /// Reads the rest of the body into one buffer (for an error response on a streaming request).
    public func collect(limit: Int = 1 << 20) async throws -> [UInt8] {
        var out: [UInt8] = []
        for try await chunk in body {
            out += chunk
            if out.count >= limit { cancel(); break }
        }
        return out
    }
}
