/// Why protobuf bytes could not be read: malformed input (HTTP 400) or a type with no known schema (415).
public struct ProtobufDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The bytes are not a valid encoding of the message.
        case malformed
        /// The envelope names a kind Skiff has no protobuf schema for.
        case unknownType
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func malformed(_ message: String) -> ProtobufDecodingError { .init(.malformed, message) }

    public var description: String { message }
}

/// Reads the protobuf wire format: a field key (number and wire type), then its value.
/// The counterpart of `ProtoWriter`.
struct ProtobufReader {
    let bytes: [UInt8]
    var index: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.index = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { index >= end }

    mutating func varint() throws(ProtobufDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < end {
            let byte = bytes[index]
            index += 1
            if shift == 63 && byte > 1 { throw .malformed("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw .malformed("truncated varint")
    }

    /// The next field's number and wire type.
    mutating func key() throws(ProtobufDecodingError) -> (field: Int, wireType: UInt8) {
        let key = try varint()
        let field = key >> 3
        guard field > 0, field <= 536_870_911 else { throw .malformed("invalid field number \(field)") }
        return (Int(field), UInt8(key & 7))
    }

    /// The bounds of a length-delimited value.
    mutating func lengthDelimited() throws(ProtobufDecodingError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - index) else { throw .malformed("length \(length) runs past the end of the message") }
        let range = index..<(index + Int(length))
        index = range.upperBound
        return range
    }

    mutating func fixed(_ size: Int) throws(ProtobufDecodingError) -> UInt64 {
        guard end - index >= size else { throw .malformed("truncated fixed-size value") }
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(bytes[index + i]) << (8 * UInt64(i)) }
        index += size
        return value
    }

    /// Skips a value of an unknown field.
    mutating func skip(_ wireType: UInt8) throws(ProtobufDecodingError) {
        switch wireType {
        case 0: _ = try varint()
        case 1: _ = try fixed(8)
        case 2: _ = try lengthDelimited()
        case 5: _ = try fixed(4)
        default: throw .malformed("unsupported wire type \(wireType)")
        }
    }

    /// One scalar value as JSON; `wireType` has been checked against the scalar's.
    mutating func scalar(_ type: ProtobufScalar) throws(ProtobufDecodingError) -> JSON {
        switch type {
        case .int64: return .int(Int64(bitPattern: try varint()))
        case .int32: return .int(Int64(Int32(truncatingIfNeeded: try varint())))
        case .uint32: return .int(Int64(UInt32(truncatingIfNeeded: try varint())))
        case .uint64: return unsigned(try varint())
        case .sint32, .sint64:
            let v = try varint()
            let decoded = Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
            return .int(type == .sint32 ? Int64(Int32(truncatingIfNeeded: decoded)) : decoded)
        case .bool: return .bool(try varint() != 0)
        case .fixed64: return unsigned(try fixed(8))
        case .sfixed64: return .int(Int64(bitPattern: try fixed(8)))
        case .double: return .double(Double(bitPattern: try fixed(8)))
        case .fixed32: return .int(Int64(try fixed(4)))
        case .sfixed32: return .int(Int64(Int32(truncatingIfNeeded: try fixed(4))))
        case .float: return .double(Double(Float(bitPattern: UInt32(try fixed(4)))))
        case .string: return .string(String(decoding: bytes[try lengthDelimited()], as: UTF8.self))
        case .bytes: return .string(Base64.encode(bytes[try lengthDelimited()]))
        }
    }

    private func unsigned(_ v: UInt64) -> JSON { v <= UInt64(Int64.max) ? .int(Int64(v)) : .double(Double(v)) }
}

/// Standard base64 with padding, as Go's `encoding/json` writes `[]byte`.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let a = iterator.next() {
            let b = iterator.next()
            let c = iterator.next()
            let n = UInt32(a) << 16 | UInt32(b ?? 0) << 8 | UInt32(c ?? 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int(n >> 6 & 63)])
            out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(n & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
