/// Strategic merge patch (`application/strategic-merge-patch+json`), applied the way
/// kube-apiserver applies it (`strategicpatch.StrategicMergeMapPatch`, apimachinery 1.28+).
///
/// Like a JSON merge patch, objects merge key by key and `null` deletes a key, but `PatchMeta`
/// decides what happens to lists and objects:
/// - a list with strategy `merge` and a merge key (containers by `name`, ports by
///   `containerPort`) is merged element by element: a patch element updates the live element
///   with the same key (recursively) or is appended; a list with strategy `merge` and no merge
///   key (`finalizers`) is unioned without duplicates; any other list is replaced;
/// - an object with strategy `replace` is replaced instead of merged.
///
/// Directives inside the patch:
/// - `$patch: replace` in an object replaces that object with the rest of the patch object;
///   `$patch: delete` in an object empties it; in an element of a merged list, `delete` removes
///   the live elements with that merge key and `replace` replaces the list with the patch's
///   other elements. `$patch: merge` (or any other value) is refused, as Kubernetes does;
/// - `$retainKeys: [names]` keeps only those keys of the live object (the patch may only set
///   keys it lists);
/// - `$deleteFromPrimitiveList/<field>: [values]` removes values from a primitive list;
/// - `$setElementOrder/<field>: [elements]` gives the order of the resulting list (patch
///   elements by that order, the others keeping their live relative order).
///
/// The order of merged lists follows Kubernetes: patch elements in patch order, interleaved with
/// the live-only elements where the live order puts them. Where the patch supplies a value that
/// is not merged (a new key, a replaced list, an appended element), `null` members are dropped,
/// objects carrying a `$patch` directive are left out, and the other directive keys are removed,
/// which is what Kubernetes' decoding into its typed structs ends up storing.
///
/// Errors carry Kubernetes' messages and statuses: malformed directives are 400, lists of lists
/// 422, and the errors Kubernetes leaves unclassified (a list element without its merge key, an
/// unknown `$patch` value, mixed element types) 500.
public enum StrategicMergePatch {
    static let directiveMarker = "$patch"
    static let retainKeysDirective = "$retainKeys"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList"
    static let setElementOrderPrefix = "$setElementOrder"

    /// Applies `patch` (a JSON object; `null` changes nothing) to `original`, described by `meta`
    /// (the kind's root type, e.g. the `io.k8s.api.core.v1.Pod` definition).
    public static func apply(_ patch: JSON, to original: JSON, meta: any PatchMeta) throws(PatchError) -> JSON {
        switch patch {
        case .null:
            return original
        case .object(let members):
            return .object(try mergeMap(original.object ?? [:], members, meta))
        default:
            throw PatchError(.badRequest, "json: cannot unmarshal \(JSONPatch.goKind(patch)) into Go value of type map[string]interface {}")
        }
    }

    /// Applies a patch given as JSON text; unparsable text is a `.badRequest`.
    public static func apply(parsing text: some Collection<UInt8>, to original: JSON, meta: any PatchMeta) throws(PatchError) -> JSON {
        let patch: JSON
        do {
            patch = try JSON.parse(text)
        } catch {
            throw PatchError(.badRequest, error.description)
        }
        return try apply(patch, to: original, meta: meta)
    }

    /// The 415 kube-apiserver answers a strategic merge patch with for a type it has no schema
    /// metadata for (custom resources).
    public static let unsupportedError = PatchError(.unsupportedMediaType,
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")

    /// Merges patch object `patch` into live object `original` (`mergeMap`).
    static func mergeMap(_ original: [String: JSON], _ patch: [String: JSON], _ meta: (any PatchMeta)?) throws(PatchError) -> [String: JSON] {
        if let directive = patch[directiveMarker] {
            switch directive {
            case "replace":
                var rest = patch
                rest[directiveMarker] = nil
                return cleaned(.object(rest))?.object ?? [:]
            case "delete":
                return [:]
            default:
                throw badPatchType(directive, patch)
            }
        }
        var original = original
        var patch = patch
        try applyRetainKeys(&original, &patch)
        try applyElementOrder(&original, &patch, meta)

        for key in patch.keys.sorted() {
            let patchValue = patch[key]!
            var field = key
            var isDeleteList = false
            if key.hasPrefix(deleteFromPrimitiveListPrefix) {
                field = try extractKey(key, deleteFromPrimitiveListPrefix,
                                       PatchError(.badRequest, "invalid patch format of primitive list"))
                isDeleteList = true
            }
            if patchValue.isNull {
                original[field] = nil
                continue
            }
            guard let current = original[field], PatchError.goType(current) == PatchError.goType(patchValue) else {
                if !isDeleteList { original[field] = cleaned(patchValue) }
                continue
            }
            original[field] = nil
            switch (current, patchValue) {
            case (.object(let live), .object(let change)):
                let sub = meta?.child(field)
                if sub?.mergeStrategy == "replace" {
                    original[field] = cleaned(patchValue)
                } else {
                    original[field] = .object(try mergeMap(live, change, sub))
                }
            case (.array(let live), .array(let change)):
                let sub = meta?.child(field)
                if sub?.mergeStrategy == "merge" || isDeleteList {
                    original[field] = .array(try mergeList(live, change, sub, isDeleteList: isDeleteList))
                } else {
                    original[field] = cleaned(patchValue)
                }
            default:
                original[field] = patchValue
            }
        }
        return original
    }

    /// `$retainKeys`: drops the live keys not listed; the patch may only set listed keys.
    static func applyRetainKeys(_ original: inout [String: JSON], _ patch: inout [String: JSON]) throws(PatchError) {
        guard let directive = patch.removeValue(forKey: retainKeysDirective) else { return }
        let invalid = PatchError(.badRequest, "invalid patch format of retainKeys")
        guard case .array(let list) = directive else { throw invalid }
        let retained = Set(list.compactMap(\.string))
        for (key, value) in patch where !value.isNull && !retained.contains(key) {
            if key.hasPrefix(deleteFromPrimitiveListPrefix) || key.hasPrefix(setElementOrderPrefix) { continue }
            throw invalid
        }
        original = original.filter { retained.contains($0.key) }
    }

    /// A patch value as stored when it is taken rather than merged (`discardNullValuesFromPatch`
    /// then `removeDirectives`, plus the removal of directive keys Kubernetes' typed decoding
    /// drops); nil when the value itself carries `$patch` and is left out.
    static func cleaned(_ value: JSON) -> JSON? {
        switch value {
        case .object(let members):
            if members[directiveMarker] != nil { return nil }
            var out: [String: JSON] = [:]
            out.reserveCapacity(members.count)
            for (key, member) in members where !member.isNull && !isDirectiveKey(key) {
                if let kept = cleaned(member) { out[key] = kept }
            }
            return .object(out)
        case .array(let elements):
            return .array(elements.compactMap(cleaned))
        default:
            return value
        }
    }

    static func isDirectiveKey(_ key: String) -> Bool {
        key == retainKeysDirective || key.hasPrefix(deleteFromPrimitiveListPrefix + "/")
            || key.hasPrefix(setElementOrderPrefix + "/")
    }

    /// The field a `<prefix>/<field>` directive key names.
    static func extractKey(_ key: String, _ prefix: String, _ error: PatchError) throws(PatchError) -> String {
        guard let slash = key.firstIndex(of: "/"), key[..<slash] == prefix else { throw error }
        return String(key[key.index(after: slash)...])
    }

    static func badPatchType(_ directive: JSON, _ map: [String: JSON]) -> PatchError {
        PatchError(.internalError, "unknown patch type: \(PatchError.goValue(directive)) in map: \(PatchError.goValue(.object(map)))")
    }

    static func noMergeKey(_ map: [String: JSON], _ key: String) -> PatchError {
        PatchError(.internalError, "map: \(PatchError.goValue(.object(map))) does not contain declared merge key: \(key)")
    }

    static func badArgType(expected: String, _ actual: JSON?) -> PatchError {
        PatchError(.internalError, "expected a \(expected), but received a \(PatchError.goType(actual))")
    }
}
