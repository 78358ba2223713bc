/// An error of the client library itself (not one the server answered with: that is `APIError`).
///
/// `code` is stable; `message` is for people; `cause` is the underlying error, if any.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Value: String, Sendable { case invalidConfiguration, connectionFailed, connectionClosed, invalidResponse }
        let value: Value

        /// A kubeconfig or configuration value is missing or malformed.
        public static let invalidConfiguration = Code(value: .invalidConfiguration)
        /// The server could not be reached (refused, unresolvable, TLS handshake failed).
        public static let connectionFailed = Code(value: .connectionFailed)
        /// The connection ended before the response did.
        public static let connectionClosed = Code(value: .connectionClosed)
        /// The server's answer could not be understood (not JSON, a malformed watch event).
        public static let invalidResponse = Code(value: .invalidResponse)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(code): \(message): \($0)" } ?? "\(code): \(message)"
    }
}
