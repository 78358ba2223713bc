import SkiffModel

/// Applies a PATCH body by its content type, as kube-apiserver's patcher does.
enum Patching {
    /// `kind` gives the schema for strategic merge patches; nil means the target has none
    /// (Kubernetes refuses strategic merge patches for such types with 415).
    static func apply(_ body: [UInt8], contentType: String, to object: JSON, kind: ResourceType?) throws(APIError) -> JSON {
        guard let type = PatchType(contentType: contentType) else {
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: "
                               + PatchType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let meta = kind.flatMap { Schema.builtin.patchMeta(for: GroupVersionKind(group: $0.group, version: $0.version, kind: $0.kind)) }
        do {
            return try type.apply(body: body, to: object, meta: meta)
        } catch {
            throw error.apiError
        }
    }
}
