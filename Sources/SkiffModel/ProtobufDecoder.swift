/// Decodes Kubernetes protobuf messages into the JSON their Go types marshal to.
///
/// Fields come from `ProtobufSchema`; unknown fields are skipped. A field present on the wire is
/// written (proto2: a pointer set to zero, such as `replicas: 0`, is kept), except a zero scalar of
/// a Go value field, which Go's JSON leaves out as `omitempty` does (gogo protobuf always encodes
/// value fields, so `restartPolicy: ""` on the wire means unset). Messages with their own JSON
/// form (Time, Quantity, IntOrString, ...) are in `ProtobufDecoder+WellKnown.swift`.
enum ProtobufDecoder {
    /// Deeper nesting than any Kubernetes type needs is refused, to bound recursion.
    static let maxDepth = 64

    /// The message `name` (`k8s.io.api.core.v1.Secret`) encoded in `bytes[range]`.
    static func decode(_ name: String, _ bytes: [UInt8], _ range: Range<Int>, depth: Int = 0) throws(ProtobufDecodingError) -> JSON {
        guard depth < maxDepth else { throw .malformed("messages nested deeper than \(maxDepth) levels") }
        if let value = try wellKnown(name, bytes, range, depth: depth) { return value }
        guard let message = ProtobufSchema.message(name) else {
            throw ProtobufDecodingError(.unknownType, "no protobuf schema for \(name)")
        }
        var reader = ProtobufReader(bytes, range: range)
        var object: [String: JSON] = [:]
        var arrays: [Int: [JSON]] = [:]
        var maps: [Int: [String: JSON]] = [:]
        var messages: [Int: [Range<Int>]] = [:]  // a repeated singular message is merged, as protobuf does
        while !reader.isAtEnd {
            let (number, wireType) = try reader.key()
            guard let field = message.fields[number] else {
                try reader.skip(wireType)
                continue
            }
            func expect(_ wire: UInt8) throws(ProtobufDecodingError) {
                guard wireType == wire else {
                    throw .malformed("\(name).\(field.name) (field \(number)): wire type \(wireType), expected \(wire)")
                }
            }
            switch field.type {
            case .map(let key, let value):
                try expect(2)
                let (k, v) = try mapEntry(key: key, value: value, bytes, try reader.lengthDelimited(), depth: depth, in: name)
                maps[number, default: [:]][k] = v
            case .message(let type):
                try expect(2)
                let element = try reader.lengthDelimited()
                if field.repeated {
                    arrays[number, default: []].append(try decode(type, bytes, element, depth: depth + 1))
                } else {
                    messages[number, default: []].append(element)
                }
            case .scalar(let type):
                if field.repeated {
                    if wireType == 2 && type.wireType != 2 {  // packed
                        var packed = ProtobufReader(bytes, range: try reader.lengthDelimited())
                        while !packed.isAtEnd { arrays[number, default: []].append(try packed.scalar(type)) }
                    } else {
                        try expect(type.wireType)
                        arrays[number, default: []].append(try reader.scalar(type))
                    }
                } else {
                    try expect(type.wireType)
                    let value = try reader.scalar(type)
                    object[field.name] = field.value && !field.keepZero && isZero(value) ? nil : value
                }
            }
        }
        for (number, values) in arrays { object[message.fields[number]!.name] = .array(values) }
        for (number, map) in maps { object[message.fields[number]!.name] = .object(map) }
        for (number, ranges) in messages {
            let field = message.fields[number]!
            guard case .message(let type) = field.type else { continue }
            let value: JSON
            if ranges.count == 1 {
                value = try decode(type, bytes, ranges[0], depth: depth + 1)
            } else {
                let joined = ranges.flatMap { bytes[$0] }
                value = try decode(type, joined, 0..<joined.count, depth: depth + 1)
            }
            if field.inline {
                for (k, v) in value.members { object[k] = v }
            } else {
                object[field.name] = value
            }
        }
        if message.isArrayWrapper { return object["items"] ?? .array([]) }
        return .object(object)
    }

    /// A map entry (key 1, value 2; either may be absent and then is its zero value).
    /// Keys become JSON member names, as Go writes `map[string]T` (and integer keys as text).
    static func mapEntry(key: ProtobufScalar, value: ProtobufType, _ bytes: [UInt8], _ range: Range<Int>,
                         depth: Int, in name: String) throws(ProtobufDecodingError) -> (String, JSON) {
        var reader = ProtobufReader(bytes, range: range)
        var k: JSON?
        var v: JSON?
        while !reader.isAtEnd {
            let (number, wireType) = try reader.key()
            switch (number, value) {
            case (1, _):
                guard wireType == key.wireType else { throw .malformed("\(name): map key of wire type \(wireType)") }
                k = try reader.scalar(key)
            case (2, .scalar(let type)):
                guard wireType == type.wireType else { throw .malformed("\(name): map value of wire type \(wireType)") }
                v = try reader.scalar(type)
            case (2, .message(let type)):
                guard wireType == 2 else { throw .malformed("\(name): map value of wire type \(wireType)") }
                v = try decode(type, bytes, try reader.lengthDelimited(), depth: depth + 1)
            default:
                try reader.skip(wireType)
            }
        }
        let keyText: String
        switch k ?? zero(key) {
        case .string(let s): keyText = s
        case .int(let i): keyText = String(i)
        case .bool(let b): keyText = String(b)
        default: throw .malformed("\(name): map key of type \(key)")
        }
        if let v { return (keyText, v) }
        switch value {
        case .scalar(let type): return (keyText, zero(type))
        case .message(let type): return (keyText, try decode(type, [], 0..<0, depth: depth + 1))
        case .map: throw .malformed("\(name): map of maps")
        }
    }

    static func zero(_ type: ProtobufScalar) -> JSON {
        switch type {
        case .string, .bytes: return .string("")
        case .bool: return .bool(false)
        case .double, .float: return .double(0)
        default: return .int(0)
        }
    }

    static func isZero(_ value: JSON) -> Bool {
        switch value {
        case .string(let s): return s.isEmpty
        case .int(let i): return i == 0
        case .double(let d): return d == 0
        case .bool(let b): return !b
        default: return false
        }
    }
}
