/// Values of the wrong JSON type (a string where an integer belongs), which Kubernetes finds
/// while decoding a request body into its Go types and rejects with 400 BadRequest.
extension Schema {
    /// One `FieldError` per value whose JSON type the schema of `gvk` does not accept, in the
    /// wording of Kubernetes' schema validation (as for custom resources):
    /// `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`;
    /// quantities that do not parse: `Invalid value: "abc": quantities must match ...`.
    /// For the message a built-in kind's request must fail with, use `decodeError(in:gvk:)`.
    ///
    /// Accepted as Kubernetes' decoder does: `null` anywhere; integers or strings for
    /// int-or-string; numbers or quantity strings for quantities; whole numbers written as
    /// `3.0` for integers. Integers must fit their format (`int32`). Not checked: date-time
    /// and base64 (`format: byte`) string contents.
    public func typeErrors(in object: JSON, gvk: GroupVersionKind) -> [FieldError] {
        guard let name = definitionName(for: gvk) else { return [] }
        return typeErrors(in: object, schema: ["$ref": .string(name)])
    }

    /// As `typeErrors(in:gvk:)`, against any schema node.
    public func typeErrors(in object: JSON, schema node: JSON) -> [FieldError] {
        typeMismatches(in: object, schema: node).map { m in
            let path = renderPath(m.path, .decoding)
            if let message = m.message { return FieldError(.invalid, path, value: m.value, message) }
            let actual = m.value.typeName
            return FieldError(.typeInvalid, path, value: .string(actual),
                              "\(path) in body must be of type \(m.expected): \"\(actual)\"")
        }
    }

    /// The 400 BadRequest Kubernetes returns when `object` does not decode into `gvk`'s Go
    /// type, or nil if every value has an acceptable type. Go's decoder reports the first
    /// mismatch only:
    /// `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal
    /// string into Go struct field DeploymentSpec.spec.replicas of type int32`
    /// (the field path has no list indices or map keys, as Go prints it).
    public func decodeError(in object: JSON, gvk: GroupVersionKind) -> APIError? {
        guard let name = definitionName(for: gvk),
              let first = typeMismatches(in: object, schema: ["$ref": .string(name)]).first else { return nil }
        return Schema.cannotBeHandled(gvk: gvk, Schema.goDecodeMessage(first))
    }

    /// `decodeError(in:gvk:)` and `unknownFields(in:gvk:)` from one walk of the object: what a
    /// write checks of every body.
    public func decodingProblems(in object: JSON, gvk: GroupVersionKind) -> (error: APIError?, unknownFields: [String]) {
        guard let name = definitionName(for: gvk) else { return (nil, []) }
        var walker = SchemaWalker(schema: self, style: .decoding)
        walker.walk(object, ["$ref": .string(name)])
        return (walker.mismatches.first.map { Schema.cannotBeHandled(gvk: gvk, Schema.goDecodeMessage($0)) }, walker.unknown)
    }

    func typeMismatches(in object: JSON, schema node: JSON) -> [TypeMismatch] {
        var walker = SchemaWalker(schema: self, style: .decoding)
        walker.walk(object, node)
        return walker.mismatches
    }

    /// Go's `UnmarshalTypeError` text for a mismatch (or the custom decoder's message).
    static func goDecodeMessage(_ m: TypeMismatch) -> String {
        if let message = m.message { return message }
        if m.goStruct.isEmpty && m.goField.isEmpty {
            return "json: cannot unmarshal \(m.goValue) into Go value of type \(m.goType)"
        }
        return "json: cannot unmarshal \(m.goValue) into Go struct field \(m.goStruct).\(m.goField) of type \(m.goType)"
    }
}
