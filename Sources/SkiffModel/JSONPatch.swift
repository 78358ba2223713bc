/// A JSON Patch (RFC 6902, `application/json-patch+json`): a list of `add`, `remove`, `replace`,
/// `move`, `copy` and `test` operations applied in order, all or nothing.
///
/// Semantics follow the library kube-apiserver uses (evanphx/json-patch v4), including its
/// leniencies, so that patches Kubernetes accepts are accepted here:
/// - `replace` of a missing object member adds it; `copy` from a missing member copies `null`;
/// - an absent `value` is `null` for `add`/`replace`;
/// - array indices may be negative (counted from the end), and `-` appends for `add`;
/// - the root pointer `""` works for `replace` (object or array values; others are ignored) and
///   `test`, but not for `add`/`remove`/`move`/`copy` targets.
///
/// Errors carry evanphx's messages (`testing value /spec/replicas failed: test failed`).
public struct JSONPatch: Sendable, Equatable {
    /// One operation. Fields are kept as decoded; validity is checked when the patch is applied.
    public struct Operation: Sendable, Equatable {
        /// The `op` member; `"unknown"` when missing or not a string (as evanphx reports it).
        public var op: String
        /// The `path` member (an RFC 6901 pointer), nil when missing or not a string.
        public var path: String?
        /// The `from` member of `move` and `copy`, nil when missing or not a string.
        public var from: String?
        /// The `value` member; nil when absent (distinct from an explicit `null`).
        public var value: JSON?

        public init(op: String, path: String?, from: String? = nil, value: JSON? = nil) {
            self.op = op
            self.path = path
            self.from = from
            self.value = value
        }

        public static func add(_ path: String, _ value: JSON) -> Operation { Operation(op: "add", path: path, value: value) }
        public static func remove(_ path: String) -> Operation { Operation(op: "remove", path: path) }
        public static func replace(_ path: String, _ value: JSON) -> Operation { Operation(op: "replace", path: path, value: value) }
        public static func move(from: String, to path: String) -> Operation { Operation(op: "move", path: path, from: from) }
        public static func copy(from: String, to path: String) -> Operation { Operation(op: "copy", path: path, from: from) }
        public static func test(_ path: String, _ value: JSON) -> Operation { Operation(op: "test", path: path, value: value) }

        /// The operation as a JSON object.
        public var json: JSON {
            var o: [String: JSON] = ["op": .string(op)]
            if let path { o["path"] = .string(path) }
            if let from { o["from"] = .string(from) }
            if let value { o["value"] = value }
            return .object(o)
        }
    }

    public var operations: [Operation]

    /// The most operations kube-apiserver accepts in one patch (`maxJSONPatchOperations`).
    public static let maxOperations = 10_000
    /// kube-apiserver's default limit on the bytes `copy` operations may add (`JSONPatchMaxCopyBytes`).
    public static let defaultMaxCopyBytes = 3 * 1024 * 1024

    public init(_ operations: [Operation]) {
        self.operations = operations
    }

    /// Decodes a patch document: a JSON array of operation objects (`null` is an empty patch).
    /// Throws `.badRequest` for any other shape (Go's `json.Unmarshal` message) and `.tooLarge`
    /// beyond `maxOperations`.
    public init(decoding document: JSON) throws(PatchError) {
        let elements: [JSON]
        switch document {
        case .null: elements = []
        case .array(let a): elements = a
        default:
            throw PatchError(.badRequest, "json: cannot unmarshal \(JSONPatch.goKind(document)) into Go value of type jsonpatch.Patch")
        }
        var ops: [Operation] = []
        ops.reserveCapacity(elements.count)
        for element in elements {
            switch element {
            case .null:
                ops.append(Operation(op: "unknown", path: nil))
            case .object(let o):
                ops.append(Operation(op: o["op"]?.string ?? "unknown", path: o["path"]?.string,
                                     from: o["from"]?.string, value: o["value"]))
            default:
                throw PatchError(.badRequest, "json: cannot unmarshal \(JSONPatch.goKind(element)) into Go value of type jsonpatch.Operation")
            }
        }
        if ops.count > JSONPatch.maxOperations {
            throw PatchError(.tooLarge, "The allowed maximum operations in a JSON patch is \(JSONPatch.maxOperations), got \(ops.count)")
        }
        operations = ops
    }

    /// Decodes a patch from its JSON text; unparsable text is a `.badRequest`.
    public init(parsing text: some Collection<UInt8>) throws(PatchError) {
        let document: JSON
        do {
            document = try JSON.parse(text)
        } catch {
            throw PatchError(.badRequest, error.description)
        }
        try self.init(decoding: document)
    }

    /// The patch as a JSON array.
    public var json: JSON { .array(operations.map(\.json)) }

    /// Applies every operation in order to `document` and returns the result. The first failing
    /// operation throws `.unprocessable` with evanphx's message, and nothing is applied.
    /// `maxCopyBytes` bounds the total serialized size `copy` operations may add (0: unlimited).
    public func apply(to document: JSON, maxCopyBytes: Int = JSONPatch.defaultMaxCopyBytes) throws(PatchError) -> JSON {
        var doc = document
        var copied = 0
        for op in operations {
            do {
                try JSONPatch.apply(op, to: &doc, copiedBytes: &copied, maxCopyBytes: maxCopyBytes)
            } catch {
                throw PatchError(.unprocessable, error.message)
            }
        }
        return doc
    }

    /// Go's name for a JSON value's kind in `json: cannot unmarshal <kind> into ...` errors.
    static func goKind(_ value: JSON) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// An evanphx-style error: a message with the causes it wraps (`context: cause: root`).
struct JSONPatchFailure: Error {
    var message: String

    init(_ message: String) { self.message = message }

    static let missing = JSONPatchFailure("missing value")
    static let testFailed = JSONPatchFailure("test failed")
    static let invalidIndex = JSONPatchFailure("invalid index referenced")

    /// `errors.Wrapf(self, context)`.
    func wrapped(_ context: String) -> JSONPatchFailure { JSONPatchFailure("\(context): \(message)") }
}
