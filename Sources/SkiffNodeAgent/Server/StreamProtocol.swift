import SkiffModel

/// Kubernetes' remote command protocol over WebSocket (`v4.channel.k8s.io`, `v5.channel.k8s.io`):
/// every binary message starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error (a
/// `Status` as JSON, sent once at the end), 4 terminal resize (`{"Width":w,"Height":h}`); v5 adds
/// 255, a client's "close this channel" signal, so stdin can reach EOF.
public enum StreamProtocol: String, Sendable, CaseIterable {
    case v5 = "v5.channel.k8s.io"
    case v4 = "v4.channel.k8s.io"

    public enum Channel: UInt8, Sendable {
        case stdin = 0, stdout = 1, stderr = 2, error = 3, resize = 4, close = 255
    }

    /// The protocol to answer with: the first of the client's offers (`Sec-WebSocket-Protocol`,
    /// comma-separated, in its order of preference) that is supported.
    public static func negotiate(_ offered: [String]) -> StreamProtocol? {
        for header in offered {
            for name in header.split(separator: ",") {
                if let p = StreamProtocol(rawValue: name.trimmingCharacters(in: .whitespaces)) { return p }
            }
        }
        return nil
    }

    /// One message's payload: the channel byte, then the data.
    public static func message(_ channel: Channel, _ data: some Sequence<UInt8>) -> [UInt8] {
        [channel.rawValue] + data
    }

    /// What a client message asks for.
    public enum Incoming: Equatable, Sendable {
        case stdin([UInt8])
        case resize(width: UInt16, height: UInt16)
        case close(Channel?)
        /// A message on a channel clients do not write, or empty: ignored.
        case ignored
    }

    public func decode(_ payload: [UInt8]) -> Incoming {
        guard let first = payload.first, let channel = Channel(rawValue: first) else { return .ignored }
        let data = Array(payload.dropFirst())
        switch channel {
        case .stdin: return .stdin(data)
        case .resize:
            guard let json = try? JSON.parse(data), let w = json["Width"]?.int, let h = json["Height"]?.int,
                  let width = UInt16(exactly: w), let height = UInt16(exactly: h) else { return .ignored }
            return .resize(width: width, height: height)
        case .close where self == .v5:
            return .close(data.first.flatMap(Channel.init(rawValue:)))
        default:
            return .ignored
        }
    }

    /// The error channel's final `Status`: success, a non-zero exit code as the kubelet reports
    /// it (reason `NonZeroExitCode`, cause `ExitCode`), or an internal error.
    public static func status(exitCode: Int32) -> JSON {
        if exitCode == 0 { return ["metadata": [:], "status": "Success"] }
        return ["metadata": [:], "status": "Failure",
                "message": .string("command terminated with non-zero exit code: command terminated with exit code \(exitCode)"),
                "reason": "NonZeroExitCode",
                "details": ["causes": [["reason": "ExitCode", "message": .string(String(exitCode))]]]]
    }

    public static func status(internalError message: String) -> JSON {
        ["metadata": [:], "status": "Failure", "message": .string("Internal error occurred: \(message)"), "reason": "InternalError",
         "details": ["causes": [["message": .string(message)]]], "code": 500]
    }
}
