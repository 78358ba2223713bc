/// One validation failure at a field path, with Kubernetes' wording
/// (k8s.io/apimachinery/pkg/util/validation/field).
public struct FieldError: Sendable, Equatable, CustomStringConvertible {
    public enum ErrorType: Sendable, Equatable {
        case required, invalid, notSupported, forbidden, duplicate, tooLong, tooMany, notFound, typeInvalid

        var text: String {
            switch self {
            case .required: return "Required value"
            case .invalid: return "Invalid value"
            case .notSupported: return "Unsupported value"
            case .forbidden: return "Forbidden"
            case .duplicate: return "Duplicate value"
            case .tooLong: return "Too long"
            case .tooMany: return "Too many"
            case .notFound: return "Not found"
            case .typeInvalid: return "Invalid value"
            }
        }

        var causeReason: String {
            switch self {
            case .required: return "FieldValueRequired"
            case .invalid: return "FieldValueInvalid"
            case .notSupported: return "FieldValueNotSupported"
            case .forbidden: return "FieldValueForbidden"
            case .duplicate: return "FieldValueDuplicate"
            case .tooLong: return "FieldValueTooLong"
            case .tooMany: return "FieldValueTooMany"
            case .notFound: return "FieldValueNotFound"
            case .typeInvalid: return "FieldValueTypeInvalid"
            }
        }
    }

    public var type: ErrorType
    public var field: String
    public var value: JSON?
    public var detail: String

    public init(_ type: ErrorType, _ field: String, value: JSON? = nil, _ detail: String = "") {
        self.type = type
        self.field = field
        self.value = value
        self.detail = detail
    }

    public static func required(_ field: String, _ detail: String = "") -> FieldError { FieldError(.required, field, detail) }
    public static func invalid(_ field: String, _ value: JSON, _ detail: String) -> FieldError { FieldError(.invalid, field, value: value, detail) }
    public static func forbidden(_ field: String, _ detail: String) -> FieldError { FieldError(.forbidden, field, detail) }
    public static func duplicate(_ field: String, _ value: JSON) -> FieldError { FieldError(.duplicate, field, value: value) }
    public static func notSupported(_ field: String, _ value: JSON, _ supported: [String]) -> FieldError {
        FieldError(.notSupported, field, value: value,
                   supported.isEmpty ? "" : "supported values: " + supported.map { "\"\($0)\"" }.joined(separator: ", "))
    }

    /// The message without the field path, as in a `StatusCause`.
    public var detailMessage: String {
        var s = type.text
        switch type {
        case .required, .forbidden, .tooMany:
            break
        case .tooLong:
            break
        default:
            if let v = value { s += ": " + FieldError.render(v) }
        }
        if !detail.isEmpty { s += ": " + detail }
        return s
    }

    public var description: String { field.isEmpty ? detailMessage : "\(field): \(detailMessage)" }

    /// Values as Go's `%#v` prints the common cases: strings quoted, numbers and booleans bare.
    static func render(_ v: JSON) -> String {
        switch v {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .double(let d): return JSON.format(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return v.serializedString(sortedKeys: true)
        }
    }
}

/// Validation failures as one error value.
public struct FieldErrorList: Error, Sendable, Equatable {
    public var errors: [FieldError]

    public init(errors: [FieldError]) { self.errors = errors }
}
