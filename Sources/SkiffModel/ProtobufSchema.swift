/// The wire schema of Kubernetes' protobuf messages: for each message (by full name, such as
/// `k8s.io.api.core.v1.Secret`), its fields by number with their JSON names and types.
///
/// Made from Kubernetes' `generated.proto` files by `scripts/gen-protobuf.py`
/// (`Generated/ProtobufSchemaData.swift`) and parsed once, on first use.
enum ProtobufSchema {
    static let messages: [String: ProtobufMessage] = parse(protobufSchemaText)

    static func message(_ name: String) -> ProtobufMessage? { messages[name] }

    /// Lines of `package P`, then `Name field...` (`@Name` for an array wrapper), each field
    /// `number:jsonName:flags:type` (see the generator).
    static func parse(_ text: String) -> [String: ProtobufMessage] {
        var result: [String: ProtobufMessage] = [:]
        var package = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("package ") {
                package = String(line.dropFirst("package ".count))
                continue
            }
            let parts = line.split(separator: " ")
            guard var name = parts.first.map(String.init) else { continue }
            let isArrayWrapper = name.hasPrefix("@")
            if isArrayWrapper { name.removeFirst() }
            var fields: [Int: ProtobufField] = [:]
            for part in parts.dropFirst() {
                let items = part.split(separator: ":", omittingEmptySubsequences: false)
                guard items.count == 4, let number = Int(items[0]) else {
                    preconditionFailure("ProtobufSchemaData: bad field \(part) in \(name)")
                }
                let flags = items[2]
                fields[number] = ProtobufField(
                    name: String(items[1]), type: fieldType(items[3], package: package),
                    repeated: flags.contains("r"), value: flags.contains("v"),
                    keepZero: flags.contains("z"), inline: flags.contains("i"))
            }
            let full = package + "." + name
            result[full] = ProtobufMessage(name: full, fields: fields, isArrayWrapper: isArrayWrapper)
        }
        return result
    }

    static func fieldType(_ text: Substring, package: String) -> ProtobufType {
        if text.hasPrefix("map<") {
            let inner = text.dropFirst(4).dropLast()
            let kv = inner.split(separator: ",", maxSplits: 1)
            guard kv.count == 2, case .scalar(let key) = fieldType(kv[0], package: package) else {
                preconditionFailure("ProtobufSchemaData: bad map type \(text)")
            }
            return .map(key: key, value: fieldType(kv[1], package: package))
        }
        if let scalar = ProtobufScalar(rawValue: String(text)) { return .scalar(scalar) }
        return .message(text.contains(".") ? String(text) : package + "." + text)
    }
}

/// One message: its fields by number.
struct ProtobufMessage: Sendable {
    var name: String
    var fields: [Int: ProtobufField]
    /// A named `[]string` in Go (`Verbs`, `ExtraValue`): the JSON is the array of its `items`.
    var isArrayWrapper: Bool
}

struct ProtobufField: Sendable {
    /// The JSON member name.
    var name: String
    var type: ProtobufType
    var repeated: Bool
    /// A Go value (not pointer) field: a zero scalar means unset, and is left out of the JSON.
    var value: Bool
    /// Written even when zero (Go's JSON tag has no `omitempty`).
    var keepZero: Bool
    /// A Go struct embedded with `json:",inline"`: its members go into the enclosing object.
    var inline: Bool
}

indirect enum ProtobufType: Sendable {
    case scalar(ProtobufScalar)
    case message(String)
    case map(key: ProtobufScalar, value: ProtobufType)
}

enum ProtobufScalar: String, Sendable {
    case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, bytes
    case uint32, sfixed32, sfixed64, sint32, sint64

    /// The wire type the scalar is encoded with (0 varint, 1 64-bit, 2 length-delimited, 5 32-bit).
    var wireType: UInt8 {
        switch self {
        case .double, .fixed64, .sfixed64: return 1
        case .float, .fixed32, .sfixed32: return 5
        case .string, .bytes: return 2
        default: return 0
        }
    }
}
