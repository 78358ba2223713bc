/// A `PATCH` body that could not be decoded or applied.
///
/// `message` is the text Kubernetes' patch libraries produce (evanphx/json-patch v4 for JSON and
/// merge patches, `k8s.io/apimachinery/pkg/util/strategicpatch` for strategic merge patches);
/// `kind` says which HTTP status the API server answers with, and `apiError` builds that
/// `Status` exactly as kube-apiserver does (which, for a JSON Patch that does not apply, means a
/// generic 422 message: the specific text is only in `message`, for logs).
public struct PatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 400 BadRequest: the patch document is malformed (undecodable JSON Patch, a bad
        /// `$retainKeys` / `$setElementOrder` / `$deleteFromPrimitiveList` directive, ...).
        case badRequest
        /// 422 Invalid: a well-formed patch that cannot be applied (a failed `test`, a missing
        /// path, a list of lists in a strategic merge patch).
        case unprocessable
        /// 413 RequestEntityTooLarge: more JSON Patch operations than Kubernetes accepts.
        case tooLarge
        /// 415 UnsupportedMediaType: a strategic merge patch for a type without schema metadata.
        case unsupportedMediaType
        /// 500 with an empty reason: the strategic merge patch errors Kubernetes does not
        /// classify (missing merge key, unknown `$patch` value, mismatched list element types).
        case internalError
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The error as kube-apiserver reports it.
    public var apiError: APIError {
        switch kind {
        case .badRequest:
            return .badRequest(message)
        case .unprocessable:
            // NewGenericServerResponse(422, ...) keeps neither the message nor a cause.
            return APIError(code: 422, reason: "Invalid",
                            message: "the server rejected our request due to an error in our request",
                            details: APIError.Details())
        case .tooLarge:
            return .requestEntityTooLarge("Request entity too large: \(message)")
        case .unsupportedMediaType:
            return APIError(code: 415, reason: "UnsupportedMediaType", message: message)
        case .internalError:
            return APIError(code: 500, reason: "", message: message)
        }
    }
}

extension PatchError {
    /// Go's `%v` rendering of a decoded JSON value (`map[a:1 b:[x y]]`), used where Kubernetes'
    /// messages embed a patch fragment.
    static func goValue(_ value: JSON) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSON.format(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(goValue).joined(separator: " ") + "]"
        case .object(let o):
            return "map[" + o.keys.sorted().map { "\($0):\(goValue(o[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    /// Go's type name for a decoded JSON value, as `reflect.TypeOf` prints it.
    static func goType(_ value: JSON?) -> String {
        switch value {
        case nil, .null?: return "<nil>"
        case .bool?: return "bool"
        case .int?: return "int64"
        case .double?: return "float64"
        case .string?: return "string"
        case .array?: return "[]interface {}"
        case .object?: return "map[string]interface {}"
        }
    }
}
