import NIOHTTP1
import SkiffModel

/// One HTTP request as the API handlers see it: method, decoded path, query and the whole body.
public struct Request: Sendable {
    public var method: HTTPMethod
    /// The path without the query, percent-decoded per segment by the router.
    public var path: String
    public var query: [String: String]
    /// The query as sent (without `?`), for handlers that need repeated keys or pass it on.
    public var rawQuery: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The authenticated identity; set by the authenticator before routing.
    public var user: UserInfo = .anonymous
    /// Set by a client in this process: a JSON watch then answers with `Response.Body.events`,
    /// the objects themselves, so the client does not parse what the server already has parsed.
    public var wantsWatchObjects = false

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders, body: [UInt8]) {
        self.method = method
        self.headers = headers
        self.body = body
        if let q = uri.firstIndex(of: "?") {
            path = String(uri[..<q])
            rawQuery = String(uri[uri.index(after: q)...])
            query = Request.parseQuery(uri[uri.index(after: q)...])
        } else {
            path = uri
            rawQuery = ""
            query = [:]
        }
    }

    /// Parses `a=b&c=d`; the last value wins for repeated keys, as `url.Values.Get` returns the first
    /// (Kubernetes reads the first: keep the first).
    static func parseQuery(_ s: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in s.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(parts[0])
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            if out[key] == nil { out[key] = value }
        }
        return out
    }

    static func percentDecode(_ s: Substring) -> String {
        guard s.contains("%") || s.contains("+") else { return String(s) }
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                      let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the request asks to switch protocols (`Connection: Upgrade` and an `Upgrade` header).
    public var isUpgrade: Bool { Request.isUpgrade(headers) }

    static func isUpgrade(_ headers: HTTPHeaders) -> Bool {
        !headers["upgrade"].isEmpty && headers["connection"].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "upgrade" }
        }
    }

    public var contentType: String {
        (headers.first(name: "content-type") ?? "application/json").split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "application/json"
    }
}

/// A response: a status, headers and either a whole body or a stream of chunks (watch, logs).
public struct Response: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(AsyncStream<[UInt8]>)
        /// Watch events as objects, for a request with `wantsWatchObjects`.
        case events(AsyncStream<WatchObjectEvent>)
    }

    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: Body
    /// With status 101: takes over the connection once the response head is sent (the bytes
    /// after it, both ways); the connection closes when it returns.
    public var upgrade: (@Sendable (UpgradedConnection) async -> Void)?

    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSON, status: HTTPResponseStatus = .ok, contentType: String = "application/json") -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: .bytes(value.serialized()))
    }

    public static func raw(_ bytes: [UInt8], status: HTTPResponseStatus = .ok, contentType: String = "application/json") -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: .bytes(bytes))
    }

    public static func text(_ s: String, status: HTTPResponseStatus = .ok) -> Response {
        Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: .bytes(Array(s.utf8)))
    }

    /// The error's `Status`; a `retryAfterSeconds` is also sent as `Retry-After`, as kube-apiserver does.
    public static func error(_ e: APIError) -> Response {
        var response = json(e.status, status: HTTPResponseStatus(statusCode: e.code))
        if let seconds = e.details?.retryAfterSeconds, seconds > 0 { response.headers.add(name: "Retry-After", value: String(seconds)) }
        return response
    }

    /// Adds a `Warning: 299 - "text"` header, which kubectl prints as `Warning: text`.
    public mutating func addWarning(_ text: String) {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        headers.add(name: "Warning", value: "299 - \"\(escaped)\"")
    }
}

/// One watch event as an object: what a watch line (`{"type":...,"object":...}`) encodes.
public struct WatchObjectEvent: Sendable {
    /// `ADDED`, `MODIFIED`, `DELETED` or `BOOKMARK`.
    public var type: String
    public var object: JSON

    public init(type: String, object: JSON) {
        self.type = type
        self.object = object
    }

    /// The event as a watch line, newline included.
    public var line: [UInt8] { WatchLine.encode(type: type, object: object) }
}
