/// What a strategic merge patch needs to know about one value of an API type: how to merge it
/// into the live value, and the metadata of the values inside it.
///
/// A node describes a value in its parent's context, the way an OpenAPI property does: the
/// node for `PodSpec.containers` has `patchStrategies == ["merge"]`, `patchMergeKey == "name"`
/// and `elements` describing `Container`; `child("image")` of that element node describes a
/// string. An implementation over the Kubernetes OpenAPI schema reads `x-kubernetes-patch-strategy`
/// (split at commas) and `x-kubernetes-patch-merge-key` from the property, follows `$ref`,
/// answers `child` from `properties` (or, for a map such as `metadata.labels`, from
/// `additionalProperties`, whatever the key) and `elements` from `items`.
///
/// Missing metadata is not an error: a nil `child`/`elements` means "no strategy" below that
/// point, so objects still merge key by key, lists are replaced and `null` deletes.
public protocol PatchMeta: Sendable {
    /// The metadata of member `name` when this value is an object: a struct field, or the shared
    /// metadata of a map's values. Nil when nothing is known.
    func child(_ name: String) -> (any PatchMeta)?

    /// The metadata of the elements when this value is a list; nil when nothing is known.
    var elements: (any PatchMeta)? { get }

    /// `x-kubernetes-patch-strategy`, split at commas: `[]`, `["merge"]`, `["replace"]`,
    /// `["retainKeys"]` or `["merge", "retainKeys"]`. On a list, `merge` merges the patch into the
    /// live list (by `patchMergeKey` for lists of objects, as a set union for primitives) instead
    /// of replacing it; on an object, `replace` replaces it instead of merging.
    var patchStrategies: [String] { get }

    /// `x-kubernetes-patch-merge-key`: the member identifying an element of a merged list of
    /// objects (`name` for containers, `containerPort` for container ports).
    var patchMergeKey: String? { get }
}

extension PatchMeta {
    /// The strategy that decides between merging and replacing (`merge`, `replace`, or nil),
    /// `retainKeys` aside, as `extractRetainKeysPatchStrategy` reads it.
    public var mergeStrategy: String? {
        patchStrategies.first { $0 != "retainKeys" && !$0.isEmpty }
    }
}

/// A `PatchMeta` tree written out by hand: for tests, hand-maintained metadata, or as the cache
/// of a schema walk.
///
///     let podSpec = DictionaryPatchMeta.object([
///         "containers": .list(mergeKey: "name", of: .object([
///             "ports": .list(mergeKey: "containerPort"),
///             "env": .list(mergeKey: "name"),
///         ])),
///         "finalizers": .list(strategy: "merge"),
///     ])
public final class DictionaryPatchMeta: PatchMeta {
    public let fields: [String: DictionaryPatchMeta]
    /// The metadata of every member not in `fields` (a map's values); nil for none.
    public let additional: DictionaryPatchMeta?
    public let items: DictionaryPatchMeta?
    public let patchStrategies: [String]
    public let patchMergeKey: String?

    public init(fields: [String: DictionaryPatchMeta] = [:], additional: DictionaryPatchMeta? = nil,
                items: DictionaryPatchMeta? = nil, patchStrategies: [String] = [], patchMergeKey: String? = nil) {
        self.fields = fields
        self.additional = additional
        self.items = items
        self.patchStrategies = patchStrategies
        self.patchMergeKey = patchMergeKey
    }

    public func child(_ name: String) -> (any PatchMeta)? { fields[name] ?? additional }
    public var elements: (any PatchMeta)? { items }

    /// A value with no strategy and nothing known inside (a scalar, or a free-form object).
    public static let plain = DictionaryPatchMeta()

    /// An object with the given fields; `strategy` is its own patch strategy (e.g. `retainKeys`,
    /// `replace`), as a comma-separated string.
    public static func object(_ fields: [String: DictionaryPatchMeta], strategy: String? = nil) -> DictionaryPatchMeta {
        DictionaryPatchMeta(fields: fields, patchStrategies: split(strategy))
    }

    /// A map whose values are all described by `values` (e.g. `labels`, `resources.limits`).
    public static func map(of values: DictionaryPatchMeta = .plain) -> DictionaryPatchMeta {
        DictionaryPatchMeta(additional: values)
    }

    /// A list merged by `mergeKey` (strategy `merge` unless given) with elements `of`.
    public static func list(mergeKey: String, strategy: String = "merge", of elements: DictionaryPatchMeta = .plain) -> DictionaryPatchMeta {
        DictionaryPatchMeta(items: elements, patchStrategies: split(strategy), patchMergeKey: mergeKey)
    }

    /// A list without merge key: `strategy: "merge"` for a primitive set union (`finalizers`),
    /// nil for a list replaced as a whole.
    public static func list(strategy: String? = nil, of elements: DictionaryPatchMeta = .plain) -> DictionaryPatchMeta {
        DictionaryPatchMeta(items: elements, patchStrategies: split(strategy))
    }

    private static func split(_ strategy: String?) -> [String] {
        (strategy ?? "").split(separator: ",").map { String($0) }
    }
}
