import Foundation

/// The wire pieces of a `grpc.health.v1.Health/Check` call, written by hand: the two protobuf
/// messages (`HealthCheckRequest{string service = 1}`, `HealthCheckResponse{ServingStatus
/// status = 1}`), gRPC's length-prefixed message framing, and the texts grpc-go prints (status
/// code names, `grpc-timeout` values, `grpc-message` percent-encoding).
enum GRPCHealthCodec {
    static let path = "/grpc.health.v1.Health/Check"
    /// grpc-go's default limit on a received message.
    static let maxReceiveMessageSize = 4 * 1024 * 1024

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: Messages

    /// `HealthCheckRequest{service}`: field 1, length-delimited; an empty service is left out
    /// (proto3), so the message is then empty.
    static func encodeRequest(service: String) -> [UInt8] {
        let bytes = Array(service.utf8)
        guard !bytes.isEmpty else { return [] }
        return [0x0A] + varint(UInt64(bytes.count)) + bytes
    }

    /// The `status` of a `HealthCheckResponse` (0 when absent); other fields are skipped.
    static func decodeResponse(_ bytes: [UInt8]) throws -> UInt64 {
        var status: UInt64 = 0
        var i = 0
        while i < bytes.count {
            let key = try readVarint(bytes, &i)
            let field = key >> 3
            switch key & 7 {
            case 0:
                let v = try readVarint(bytes, &i)
                if field == 1 { status = v }
            case 1: try skip(8, bytes, &i)
            case 2: try skip(Int(clamping: try readVarint(bytes, &i)), bytes, &i)
            case 5: try skip(4, bytes, &i)
            default: throw DecodeError(description: "proto: cannot parse invalid wire-format data")
            }
            if field == 0 { throw DecodeError(description: "proto: cannot parse invalid wire-format data") }
        }
        return status
    }

    /// `ServingStatus` as Go's generated `String()` prints it (a number when unknown).
    static func servingStatusName(_ status: UInt64) -> String {
        switch status {
        case 0: "UNKNOWN"
        case 1: "SERVING"
        case 2: "NOT_SERVING"
        case 3: "SERVICE_UNKNOWN"
        default: String(status)
        }
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    static func readVarint(_ bytes: [UInt8], _ i: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard i < bytes.count else { break }
            let b = bytes[i]
            i += 1
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b < 0x80 { return value }
        }
        throw DecodeError(description: "proto: cannot parse invalid wire-format data")
    }

    static func skip(_ n: Int, _ bytes: [UInt8], _ i: inout Int) throws {
        guard n >= 0, n <= bytes.count - i else {
            throw DecodeError(description: "proto: cannot parse invalid wire-format data")
        }
        i += n
    }

    // MARK: Framing

    /// One gRPC message: a flag byte (0, not compressed), the length (4 bytes, big-endian), the bytes.
    static func frame(_ message: [UInt8]) -> [UInt8] {
        let n = UInt32(message.count)
        return [0, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + message
    }

    /// The messages framed in `bytes`; an incomplete frame at the end is an error.
    static func unframe(_ bytes: [UInt8]) throws(GRPCStatus) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard bytes.count - i >= 5 else { throw GRPCStatus(code: 13, message: "unexpected EOF") }
            let compressed = bytes[i]
            let n = bytes[(i + 1)...(i + 4)].reduce(0) { $0 << 8 | Int($1) }
            if n > maxReceiveMessageSize {
                throw GRPCStatus(code: 8, message: "grpc: received message larger than max (\(n) vs. \(maxReceiveMessageSize))")
            }
            if compressed != 0 {
                throw GRPCStatus(code: 13, message: "grpc: compressed flag set with identity or empty encoding")
            }
            guard bytes.count - i - 5 >= n else { throw GRPCStatus(code: 13, message: "unexpected EOF") }
            messages.append(Array(bytes[(i + 5)..<(i + 5 + n)]))
            i += 5 + n
        }
        return messages
    }

    // MARK: Metadata

    /// A `grpc-timeout` value as grpc-go writes it: the smallest unit whose (rounded up) count
    /// has at most 8 digits.
    static func timeoutHeader(nanoseconds: Int64) -> String {
        guard nanoseconds > 0 else { return "0n" }
        let units: [(Int64, String)] = [(1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"),
                                        (60_000_000_000, "M"), (3_600_000_000_000, "H")]
        for (size, name) in units {
            let count = (nanoseconds + size - 1) / size
            if count <= 99_999_999 { return "\(count)\(name)" }
        }
        return "\((nanoseconds + 3_600_000_000_000 - 1) / 3_600_000_000_000)H"
    }

    /// `grpc-message` is percent-encoded by the sender; a malformed escape stays as it is.
    static func percentDecode(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let b = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(b)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A duration as Go's `time.Duration.String()` prints it (`1s`, `1.5s`, `2m0s`, `1h0m0s`).
    static func goDuration(seconds: Double) -> String {
        let totalNanos = Int64((max(seconds, 0) * 1e9).rounded())
        if totalNanos == 0 { return "0s" }
        if totalNanos < 1_000_000_000 {
            // Below a second Go picks ms/µs/ns; probe timeouts are whole seconds, so this is rare.
            if totalNanos < 1_000 { return "\(totalNanos)ns" }
            if totalNanos < 1_000_000 { return fraction(totalNanos, 1_000) + "µs" }
            return fraction(totalNanos, 1_000_000) + "ms"
        }
        let hours = totalNanos / 3_600_000_000_000
        let minutes = (totalNanos / 60_000_000_000) % 60
        let secs = fraction(totalNanos % 60_000_000_000, 1_000_000_000) + "s"
        if hours > 0 { return "\(hours)h\(minutes)m\(secs)" }
        if minutes > 0 { return "\(minutes)m\(secs)" }
        return secs
    }

    /// `value / unit` with its fractional digits, trailing zeros dropped.
    private static func fraction(_ value: Int64, _ unit: Int64) -> String {
        let whole = value / unit
        var rest = value % unit
        guard rest > 0 else { return String(whole) }
        var digits = ""
        var scale = unit / 10
        while rest > 0 && scale > 0 {
            digits += String(rest / scale)
            rest %= scale
            scale /= 10
        }
        return "\(whole).\(digits)"
    }
}

/// A gRPC status: a code and its message, printed as grpc-go's `status.Error` prints it.
struct GRPCStatus: Error, Sendable, Hashable, CustomStringConvertible {
    var code: Int
    var message: String

    static let codeNames = [
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
        "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
        "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
    ]
    static let unimplemented = 12
    static let deadlineExceeded = 4

    var codeName: String { Self.codeNames.indices.contains(code) ? Self.codeNames[code] : "Code(\(code))" }
    var description: String { "rpc error: code = \(codeName) desc = \(message)" }

    /// The code grpc-go gives a non-200 HTTP status (`HTTPStatusConvTab`).
    static func code(httpStatus: Int) -> Int {
        switch httpStatus {
        case 400: 13
        case 401: 16
        case 403: 7
        case 404: 12
        case 429, 502, 503, 504: 14
        default: 2
        }
    }

    /// Go's `http.StatusText` for the statuses a misdirected probe tends to get.
    static func httpStatusText(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: ""
        }
    }

    /// The code grpc-go gives a stream reset with an HTTP/2 error code, and Go's name of it.
    static func reset(networkCode: Int) -> GRPCStatus {
        let names = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
                     "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
                     "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
        let name = names.indices.contains(networkCode) ? names[networkCode] : "unknown error code 0x\(String(networkCode, radix: 16))"
        let code = switch networkCode {
        case 0x7: 14  // REFUSED_STREAM: Unavailable
        case 0x8: 1  // CANCEL: Canceled
        case 0xB: 8  // ENHANCE_YOUR_CALM: ResourceExhausted
        case 0xC: 7  // INADEQUATE_SECURITY: PermissionDenied
        default: 13  // Internal
        }
        return GRPCStatus(code: code, message: "stream terminated by RST_STREAM with error code: \(name)")
    }
}
