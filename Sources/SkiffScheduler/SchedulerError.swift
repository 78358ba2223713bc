/// An error of the scheduler (configuration, a Pod it cannot read, a failed binding).
///
/// `code` is stable; `message` is for people; `cause` is the underlying error, if any.
public struct SchedulerError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Value: String, Sendable { case invalidConfiguration, invalidPod, bindingFailed }
        let value: Value

        /// A profile names a plugin the registry does not have, or a setting is out of range.
        public static let invalidConfiguration = Code(value: .invalidConfiguration)
        /// A Pod's scheduling constraints cannot be parsed (a malformed selector).
        public static let invalidPod = Code(value: .invalidPod)
        /// The binding subresource refused or failed.
        public static let bindingFailed = Code(value: .bindingFailed)

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
