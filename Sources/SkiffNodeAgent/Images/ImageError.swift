/// An error of the image store: a bad reference, a registry that refused, content that does not
/// match its digest, an archive or layer that cannot be read.
///
/// `code` is stable; `message` is for people; `cause` is the underlying error, if any.
public struct ImageError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Value: String, Sendable {
            case invalidReference, notFound, unauthorized, registry, digestMismatch, unsupported, invalidContent, io
        }
        let value: Value

        /// The image reference does not parse.
        public static let invalidReference = Code(value: .invalidReference)
        /// The registry, archive or store has no such image, manifest or blob.
        public static let notFound = Code(value: .notFound)
        /// The registry refused the credentials (or needs some).
        public static let unauthorized = Code(value: .unauthorized)
        /// The registry answered with an unexpected status or could not be reached.
        public static let registry = Code(value: .registry)
        /// Content does not hash to the digest that names it.
        public static let digestMismatch = Code(value: .digestMismatch)
        /// A media type, platform, compression or tar entry type Skiff does not handle.
        public static let unsupported = Code(value: .unsupported)
        /// A manifest, config, archive or layer is malformed.
        public static let invalidContent = Code(value: .invalidContent)
        /// A file system operation failed.
        public static let io = Code(value: .io)

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
