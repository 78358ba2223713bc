import SkiffModel

/// Applies a PATCH body by its content type, as kube-apiserver's patcher does.
enum Patching {
    static let jsonPatch = "application/json-patch+json"
    static let mergePatch = "application/merge-patch+json"
    static let strategicMergePatch = "application/strategic-merge-patch+json"

    /// `kind` gives the schema for strategic merge patches; nil means the target has none
    /// (Kubernetes refuses strategic merge patches for such types with 415).
    static func apply(_ patch: JSON, type contentType: String, to object: JSON, kind: ResourceType?) throws(APIError) -> JSON {
        do {
            switch contentType {
            case jsonPatch:
                return try JSONPatch(decoding: patch).apply(to: object)
            case mergePatch:
                return try MergePatch.apply(patch, to: object)
            case strategicMergePatch:
                guard let kind, let meta = Schema.builtin.patchMeta(for: GroupVersionKind(group: kind.group, version: kind.version, kind: kind.kind)) else {
                    throw APIError(code: 415, reason: "UnsupportedMediaType",
                                   message: "strategic merge patch format is not supported")
                }
                return try StrategicMergePatch.apply(patch, to: object, meta: meta)
            default:
                throw APIError(code: 415, reason: "UnsupportedMediaType",
                               message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json")
            }
        } catch let e as PatchError {
            throw e.apiError
        } catch let e as APIError {
            throw e
        } catch {
            throw .internalError("\(error)")
        }
    }
}
