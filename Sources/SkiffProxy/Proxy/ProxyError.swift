/// An error of the service proxy, with a stable code.
public struct ProxyError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String { case notFound, commandFailed, io }
        let value: Value
        /// A program the proxy needs (iptables, iptables-restore) is not installed.
        public static let notFound = Code(value: .notFound)
        /// iptables, iptables-save or iptables-restore exited non-zero.
        public static let commandFailed = Code(value: .commandFailed)
        /// Scratch files could not be written or read.
        public static let io = Code(value: .io)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
