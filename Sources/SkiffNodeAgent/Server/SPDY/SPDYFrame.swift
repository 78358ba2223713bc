/// One SPDY/3 frame (draft 3, section 2.2), header blocks as decoded name/value pairs.
///
/// Header names are lowercase on the wire; a header with several values carries them separated
/// by NUL bytes, kept here as one string.
public enum SPDYFrame: Equatable, Sendable {
    case synStream(streamID: UInt32, associatedTo: UInt32 = 0, priority: UInt8 = 0, fin: Bool = false,
                   unidirectional: Bool = false, headers: [SPDYHeader])
    case synReply(streamID: UInt32, fin: Bool = false, headers: [SPDYHeader])
    case rstStream(streamID: UInt32, status: UInt32)
    case settings(clear: Bool = false, [SPDYSetting])
    case ping(id: UInt32)
    case goAway(lastGoodStreamID: UInt32, status: UInt32)
    case headers(streamID: UInt32, fin: Bool = false, headers: [SPDYHeader])
    case windowUpdate(streamID: UInt32, delta: UInt32)
    case data(streamID: UInt32, fin: Bool = false, [UInt8])
    /// A control frame of a type this codec does not know (e.g. CREDENTIAL); skipped.
    case unknown(type: UInt16)

    /// RST_STREAM status codes.
    public static let protocolError: UInt32 = 1, invalidStream: UInt32 = 2, refusedStream: UInt32 = 3,
                       cancel: UInt32 = 5, internalError: UInt32 = 6, streamInUse: UInt32 = 8

    static let version: UInt16 = 3
    static let flagFin: UInt8 = 0x01
    static let flagUnidirectional: UInt8 = 0x02
    /// The largest frame payload accepted (24-bit length field, 16 MiB).
    static let maxLength = (1 << 24) - 1
}

public struct SPDYHeader: Equatable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

public struct SPDYSetting: Equatable, Sendable {
    public var flags: UInt8
    public var id: UInt32
    public var value: UInt32

    public init(flags: UInt8 = 0, id: UInt32, value: UInt32) {
        self.flags = flags
        self.id = id
        self.value = value
    }
}

public struct SPDYError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ d: String) { description = d }
}

extension [SPDYHeader] {
    /// The value of `name` (case-insensitive), as Go's `http.Header.Get`.
    public func value(_ name: String) -> String? {
        let n = name.lowercased()
        return first { $0.name.lowercased() == n }?.value
    }
}
