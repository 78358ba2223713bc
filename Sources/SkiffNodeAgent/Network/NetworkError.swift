/// An error of the pod network: a CNI plugin that is missing or failed, a Pod or configuration
/// that cannot be turned into a network configuration, a result that does not parse.
///
/// `code` is stable; `message` is for people. A plugin's own error (the CNI error object on its
/// stdout) is kept in `cniCode`, `cniMessage` and `cniDetails`.
public struct NetworkError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Value: String, Sendable {
            case pluginNotFound, pluginFailed, invalidResult, invalidConfiguration, invalidPod, io
        }
        let value: Value

        /// A plugin binary is not in the plugin directory (or not executable).
        public static let pluginNotFound = Code(value: .pluginNotFound)
        /// A plugin exited with an error (see `cniCode`, `cniMessage`, `cniDetails`).
        public static let pluginFailed = Code(value: .pluginFailed)
        /// A plugin succeeded but printed something that is not a CNI result.
        public static let invalidResult = Code(value: .invalidResult)
        /// The `CNINetwork.Configuration` is unusable (a pod CIDR that does not parse, ...).
        public static let invalidConfiguration = Code(value: .invalidConfiguration)
        /// The Pod object lacks what the network needs (metadata.uid) or has bad ports.
        public static let invalidPod = Code(value: .invalidPod)
        /// A file of the network's data directory could not be read or written, or a plugin
        /// could not be started.
        public static let io = Code(value: .io)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// The CNI error code a plugin reported (1-99 are the spec's, 100+ the plugin's own).
    public var cniCode: Int?
    public var cniMessage: String?
    public var cniDetails: String?

    public init(_ code: Code, _ message: String, cniCode: Int? = nil, cniMessage: String? = nil, cniDetails: String? = nil) {
        self.code = code
        self.message = message
        self.cniCode = cniCode
        self.cniMessage = cniMessage
        self.cniDetails = cniDetails
    }

    public var description: String { "\(code): \(message)" }

    /// The meaning of the error codes the CNI specification (1.0.0) reserves.
    static func meaning(ofCNICode code: Int) -> String? {
        switch code {
        case 1: return "incompatible CNI version"
        case 2: return "unsupported field in network configuration"
        case 3: return "container unknown or does not exist"
        case 4: return "invalid necessary environment variables"
        case 5: return "I/O failure"
        case 6: return "failed to decode content"
        case 7: return "invalid network config"
        case 11: return "try again later"
        default: return nil
        }
    }
}
