/// Kubernetes' messages whose JSON is not an object of their fields: times, durations,
/// quantities, int-or-strings, and embedded raw JSON.
extension ProtobufDecoder {
    static let metaPackage = "k8s.io.apimachinery.pkg.apis.meta.v1."

    /// The JSON of a message with a JSON form of its own, or nil for an ordinary message.
    static func wellKnown(_ name: String, _ bytes: [UInt8], _ range: Range<Int>, depth: Int) throws(ProtobufDecodingError) -> JSON? {
        switch name {
        case metaPackage + "Time":
            // Go reads an empty Time as the zero time (JSON null), and keeps only the seconds.
            if range.isEmpty { return .null }
            let f = try fields(name, bytes, range, [1: .int64])
            return .string(Timestamp.format(Double(f[1]?.int ?? 0)))
        case metaPackage + "MicroTime":
            if range.isEmpty { return .null }
            let f = try fields(name, bytes, range, [1: .int64, 2: .int32])
            let seconds = Timestamp.format(Double(f[1]?.int ?? 0)).dropLast()  // without the "Z"
            let micros = String(min(max(f[2]?.int ?? 0, 0), 999_999_999) / 1000)
            return .string(seconds + "." + String(repeating: "0", count: 6 - micros.count) + micros + "Z")
        case metaPackage + "Duration":
            let f = try fields(name, bytes, range, [1: .int64])
            return .string(goDuration(f[1]?.int ?? 0))
        case "k8s.io.apimachinery.pkg.api.resource.Quantity", "k8s.io.apimachinery.pkg.api.resource.QuantityValue":
            let f = try fields(name, bytes, range, [1: .string])
            let text = f[1]?.string ?? ""
            return .string(text.isEmpty ? "0" : text)
        case "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
            let f = try fields(name, bytes, range, [1: .int64, 2: .int32, 3: .string])
            return f[1]?.int == 1 ? .string(f[3]?.string ?? "") : .int(f[2]?.int ?? 0)
        case "k8s.io.apimachinery.pkg.runtime.RawExtension", metaPackage + "FieldsV1":
            var reader = ProtobufReader(bytes, range: range)
            var raw: Range<Int>?
            while !reader.isAtEnd {
                let (number, wireType) = try reader.key()
                if number == 1 && wireType == 2 { raw = try reader.lengthDelimited() } else { try reader.skip(wireType) }
            }
            guard let raw, !raw.isEmpty else { return .null }
            return try embedded(Array(bytes[raw]), in: name, depth: depth)
        default:
            return nil
        }
    }

    /// Raw bytes of an embedded object: JSON, or an object in Kubernetes' protobuf envelope.
    static func embedded(_ raw: [UInt8], in name: String, depth: Int) throws(ProtobufDecodingError) -> JSON {
        if raw.starts(with: KubernetesProtobuf.magic) { return try KubernetesProtobuf.decode(raw, depth: depth + 1) }
        do {
            return try JSON.parse(raw)
        } catch {
            throw .malformed("\(name): invalid JSON: \(error.message) at offset \(error.offset)")
        }
    }

    /// The scalar fields `types` of a small message; others are skipped.
    static func fields(_ name: String, _ bytes: [UInt8], _ range: Range<Int>,
                       _ types: [Int: ProtobufScalar]) throws(ProtobufDecodingError) -> [Int: JSON] {
        var reader = ProtobufReader(bytes, range: range)
        var out: [Int: JSON] = [:]
        while !reader.isAtEnd {
            let (number, wireType) = try reader.key()
            guard let type = types[number] else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == type.wireType else { throw .malformed("\(name) field \(number): wire type \(wireType)") }
            out[number] = try reader.scalar(type)
        }
        return out
    }

    /// Go's `time.Duration.String()`: `1m0s`, `1h30m0s`, `1.5s`, `250ms`, `0s`.
    static func goDuration(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let u = nanoseconds.magnitude
        /// `value / scale` with the fraction's trailing zeros dropped.
        func decimal(_ value: UInt64, _ scale: UInt64, digits: Int) -> String {
            var text = String(value / scale)
            var fraction = value % scale
            if fraction == 0 { return text }
            var places = digits
            while fraction % 10 == 0 {
                fraction /= 10
                places -= 1
            }
            let f = String(fraction)
            text += "." + String(repeating: "0", count: places - f.count) + f
            return text
        }
        if u < 1_000 { return sign + "\(u)ns" }
        if u < 1_000_000 { return sign + decimal(u, 1_000, digits: 3) + "µs" }
        if u < 1_000_000_000 { return sign + decimal(u, 1_000_000, digits: 6) + "ms" }
        let seconds = u / 1_000_000_000
        var text = decimal(seconds % 60 * 1_000_000_000 + u % 1_000_000_000, 1_000_000_000, digits: 9) + "s"
        let minutes = seconds / 60
        if minutes > 0 {
            text = "\(minutes % 60)m" + text
            if minutes >= 60 { text = "\(minutes / 60)h" + text }
        }
        return sign + text
    }
}
