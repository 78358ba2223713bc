/// The `Content-Type`s of a `PATCH` request, and the patch each one applies.
public enum PatchType: String, Sendable, CaseIterable {
    /// RFC 6902 JSON Patch: `JSONPatch`.
    case json = "application/json-patch+json"
    /// RFC 7386 JSON Merge Patch: `MergePatch`.
    case merge = "application/merge-patch+json"
    /// Kubernetes' strategic merge patch: `StrategicMergePatch`.
    case strategicMerge = "application/strategic-merge-patch+json"
    /// Server-side apply (YAML or JSON); not applied by `apply(body:to:meta:)`.
    case apply = "application/apply-patch+yaml"

    /// The patch type of a `Content-Type` header value, parameters (`; charset=utf-8`) and case
    /// ignored; nil for anything else.
    public init?(contentType: String) {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        self.init(rawValue: String(mediaType.filter { $0 != " " && $0 != "\t" }).lowercased())
    }

    /// Decodes `body` and applies it to `original`. `meta` describes the object's type for a
    /// strategic merge patch; without it that patch type is refused with 415, as Kubernetes
    /// refuses it for custom resources. `.apply` is refused the same way (it is not a patch of
    /// this kind).
    public func apply(body: some Collection<UInt8>, to original: JSON, meta: (any PatchMeta)?) throws(PatchError) -> JSON {
        switch self {
        case .json:
            return try JSONPatch(parsing: body).apply(to: original)
        case .merge:
            return try MergePatch.apply(parsing: body, to: original)
        case .strategicMerge:
            guard let meta else { throw StrategicMergePatch.unsupportedError }
            return try StrategicMergePatch.apply(parsing: body, to: original, meta: meta)
        case .apply:
            throw PatchError(.unsupportedMediaType, "the body of the request was in an unknown format - accepted media types include: "
                + [PatchType.json, .merge, .strategicMerge].map(\.rawValue).joined(separator: ", "))
        }
    }
}
