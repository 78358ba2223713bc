/// Server-side field validation (`fieldValidation=Strict|Warn`, kubectl's `--validate=strict`):
/// fields the schema does not declare, and the messages Kubernetes sends about them.
extension Schema {
    /// The paths of fields in `object` that the schema of `gvk` does not declare, in the form
    /// Kubernetes reports them (`spec.foo`, `spec.template.spec.containers[0].foo`), sorted by
    /// walking members in key order; at most 100, as Kubernetes caps them. Empty when `gvk`
    /// has no schema.
    ///
    /// Honoured: maps (`additionalProperties`: `metadata.labels` keys are never unknown),
    /// int-or-string and quantity values, `x-kubernetes-preserve-unknown-fields`,
    /// `x-kubernetes-embedded-resource` (implicit `apiVersion`, `kind`, and `metadata` checked
    /// as ObjectMeta), raw extensions (`ControllerRevision.data`, `managedFields[].fieldsV1`),
    /// arrays (by index, or by key in the `.apply` style), and `null` (accepted anywhere).
    /// A value of the wrong JSON type is not looked into (see `typeErrors`).
    public func unknownFields(in object: JSON, gvk: GroupVersionKind, style: FieldPathStyle = .decoding) -> [String] {
        guard let name = definitionName(for: gvk) else { return [] }
        return unknownFields(in: object, schema: ["$ref": .string(name)], style: style)
    }

    /// As `unknownFields(in:gvk:style:)`, against any schema node, e.g. a custom resource's
    /// `openAPIV3Schema` (set `x-kubernetes-embedded-resource: true` on its root so that
    /// `apiVersion`, `kind` and `metadata` are implicitly declared).
    public func unknownFields(in object: JSON, schema node: JSON, style: FieldPathStyle = .decoding) -> [String] {
        var walker = SchemaWalker(schema: self, style: style)
        walker.walk(object, node)
        return walker.unknown
    }

    /// The warning text (sent as a `Warning: 299 - "<text>"` header) for one unknown field
    /// under `fieldValidation=Warn`: `unknown field "spec.foo"`.
    public static func unknownFieldWarning(_ path: String) -> String {
        "unknown field \"\(path)\""
    }

    /// The strict decoding error text: `strict decoding error: unknown field "spec.foo",
    /// unknown field "spec.bar"`. Kubernetes sends it alone (400 BadRequest) for a JSON, merge
    /// or strategic-merge patch, and after `strictDecodingError`'s prefix for a create/update.
    public static func strictDecodingMessage(unknownFields: [String]) -> String {
        "strict decoding error: " + unknownFields.map(unknownFieldWarning).joined(separator: ", ")
    }

    /// The 400 BadRequest for a create or update body with unknown fields under
    /// `fieldValidation=Strict`: `Deployment in version "v1" cannot be handled as a
    /// Deployment: strict decoding error: unknown field "spec.foo"`.
    public static func strictDecodingError(gvk: GroupVersionKind, unknownFields: [String]) -> APIError {
        cannotBeHandled(gvk: gvk, strictDecodingMessage(unknownFields: unknownFields))
    }

    /// A 400 BadRequest for a body that does not decode into `gvk`'s type, worded as
    /// Kubernetes' `transformDecodeError`: `<Kind> in version "<version>" cannot be handled as
    /// a <Kind>: <reason>`.
    public static func cannotBeHandled(gvk: GroupVersionKind, _ reason: String) -> APIError {
        .badRequest("\(gvk.kind) in version \"\(gvk.version)\" cannot be handled as a \(gvk.kind): \(reason)")
    }

    /// Server-side apply's wording for unknown fields (paths in the `.apply` style):
    /// `.spec.foo: field not declared in schema`, several as `errors:\n  <one>\n  <two>`.
    /// Kubernetes prefixes it with `failed to create typed patch object (<ns>/<name>;
    /// <group>/<version>, Kind=<Kind>): ` (see `GroupVersionKind.description`).
    public static func applyUnknownFieldsMessage(_ paths: [String]) -> String {
        let lines = paths.map { "\($0): field not declared in schema" }
        if lines.count == 1 { return lines[0] }
        return (["errors:"] + lines.map { "  " + $0 }).joined(separator: "\n")
    }
}
