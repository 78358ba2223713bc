/// A JSON value, the in-memory form of every API object Skiff stores and serves.
///
/// Objects are unordered (as Go's `map[string]interface{}`); integers and floating-point
/// numbers are kept apart so that `replicas: 3` round-trips as `3`, never `3.0`.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])
}

extension JSON {
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var object: [String: JSON]? { if case .object(let o) = self { return o } else { return nil } }
    public var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The value as an integer: an `.int`, or a `.double` with no fractional part.
    public var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The member `key` of an object; `nil` for a missing member or a non-object.
    /// Setting `nil` removes the member; setting on a non-object makes it an empty object first.
    public subscript(key: String) -> JSON? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        set {
            var o: [String: JSON]
            if case .object(let existing) = self { o = existing } else { o = [:] }
            self = .null  // release the old storage so `o` is uniquely referenced
            o[key] = newValue
            self = .object(o)
        }
    }

    /// A nested member: `obj["metadata", "name"]`. Setting creates intermediate objects.
    public subscript(path: String...) -> JSON? {
        get { self[path: path[...]] }
        set { self[path: path[...]] = newValue }
    }

    public subscript(path path: ArraySlice<String>) -> JSON? {
        get {
            guard let first = path.first else { return self }
            return self[first]?[path: path.dropFirst()]
        }
        set {
            guard let first = path.first else {
                self = newValue ?? .null
                return
            }
            if path.count == 1 {
                self[first] = newValue
                return
            }
            var child = self[first] ?? .object([:])
            self[first] = nil
            child[path: path.dropFirst()] = newValue
            self[first] = child
        }
    }

    /// An object's members, or an empty dictionary.
    public var members: [String: JSON] { object ?? [:] }

    /// A string-to-string map such as `metadata.labels`; non-string values are skipped.
    public var stringMap: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in members { if let s = v.string { out[k] = s } }
        return out
    }

    public init(_ map: [String: String]) {
        self = .object(map.mapValues { .string($0) })
    }

    /// The JSON type name used in validation messages (`string`, `integer`, `object`, ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// No `ExpressibleByNilLiteral`: `nil` must mean "absent" (Optional.none), never JSON null.
extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
