/// Merging lists: by merge key for lists of objects, as a set for primitives, and Kubernetes'
/// ordering of the result (`mergeSlice`, `normalizeElementOrder`, `mergeSortedSlice`).
extension StrategicMergePatch {
    static let objectType = "map[string]interface {}"

    /// Merges patch list `patch` into live list `original` for a field with strategy `merge`
    /// (or a `$deleteFromPrimitiveList` list). `meta` is the list field's metadata.
    static func mergeList(_ original: [JSON], _ patch: [JSON], _ meta: (any PatchMeta)?, isDeleteList: Bool) throws(PatchError) -> [JSON] {
        if original.isEmpty && patch.isEmpty { return original }
        let kind = try elementType(original, patch)
        let mergeKey = meta?.patchMergeKey ?? ""
        var original = original
        var patch = patch
        let merged: [JSON]
        if kind != objectType {
            if isDeleteList {
                let doomed = Set(patch)
                return original.filter { !doomed.contains($0) }
            }
            merged = deduplicated(original + patch)
        } else {
            if mergeKey.isEmpty { throw PatchError(.internalError, "cannot merge lists without merge key for struct") }
            (original, patch) = try applyListDirectives(original, patch, mergeKey)
            merged = try mergeByKey(original, patch, mergeKey, meta?.elements)
        }
        let (patchItems, serverOnly) = try partition(merged, by: patch, mergeKey)
        return try normalizedOrder(patchItems, serverOnly, patchOrder: patch, serverOrder: original, mergeKey, kind)
    }

    /// The common Go type of the elements of `lists`: refuses lists of lists (422), mixed types
    /// and all-empty lists (500).
    static func elementType(_ lists: [JSON]...) throws(PatchError) -> String {
        var found: String?
        for list in lists {
            for element in list {
                let type = PatchError.goType(element)
                if let found {
                    if found != type {
                        let all = lists.map { PatchError.goValue(.array($0)) }.joined(separator: " ")
                        throw PatchError(.internalError, "list element types are not identical: [\(all)]")
                    }
                } else {
                    if case .array = element { throw PatchError(.unprocessable, "lists of lists are not supported") }
                    found = type
                }
            }
        }
        guard let found else { throw PatchError(.internalError, "no elements in any of the given slices") }
        return found
    }

    /// Applies the `$patch` elements of a patch list of objects: `delete` removes live elements,
    /// `replace` makes the other patch elements the new live list (`mergeSliceWithSpecialElements`).
    static func applyListDirectives(_ original: [JSON], _ patch: [JSON], _ mergeKey: String) throws(PatchError) -> ([JSON], [JSON]) {
        var original = original
        var rest: [JSON] = []
        var replace = false
        for element in patch {
            let map = element.object ?? [:]
            guard let directive = map[directiveMarker] else {
                rest.append(element)
                continue
            }
            switch directive {
            case "delete":
                guard let key = map[mergeKey] else { throw noMergeKey(map, mergeKey) }
                try requireObjects(original)
                original.removeAll { $0.object?[mergeKey] == key }
            case "replace":
                replace = true
            case "merge":
                throw PatchError(.internalError, "merging lists cannot yet be specified in the patch")
            default:
                throw badPatchType(directive, map)
            }
        }
        return replace ? (rest.compactMap(cleaned), []) : (original, rest)
    }

    /// Each patch element merged into the live element with its merge key, or appended.
    static func mergeByKey(_ original: [JSON], _ patch: [JSON], _ mergeKey: String, _ elementMeta: (any PatchMeta)?) throws(PatchError) -> [JSON] {
        var result = original
        for element in patch {
            let map = element.object ?? [:]
            guard let key = map[mergeKey] else { throw noMergeKey(map, mergeKey) }
            try requireObjects(result)
            if let i = result.firstIndex(where: { $0.object?[mergeKey] == key }) {
                let live = result[i].object ?? [:]
                result[i] = .null
                result[i] = .object(try mergeMap(live, map, elementMeta))
            } else if let kept = cleaned(element) {
                result.append(kept)
            }
        }
        return result
    }

    /// `findMapInSliceBasedOnKeyValue` refuses lists with non-object elements.
    static func requireObjects(_ list: [JSON]) throws(PatchError) {
        if let i = list.firstIndex(where: { $0.object == nil }) {
            throw PatchError(.internalError, "value for key \(i) is not a map")
        }
    }

    /// `merged` split into the elements present in `list` and the others, order kept.
    static func partition(_ merged: [JSON], by list: [JSON], _ mergeKey: String) throws(PatchError) -> ([JSON], [JSON]) {
        var inList: [JSON] = []
        var others: [JSON] = []
        if mergeKey.isEmpty {
            let present = Set(list)
            for element in merged {
                if present.contains(element) { inList.append(element) } else { others.append(element) }
            }
            return (inList, others)
        }
        try requireObjects(list)
        let present = Set(list.compactMap { $0.object?[mergeKey] })
        for element in merged {
            guard let map = element.object else { throw badArgType(expected: objectType, element) }
            guard let key = map[mergeKey] else { throw noMergeKey(map, mergeKey) }
            if present.contains(key) { inList.append(element) } else { others.append(element) }
        }
        return (inList, others)
    }

    /// Patch elements sorted by `patchOrder`, live-only ones by `serverOrder`, then interleaved:
    /// a live-only element goes before a patch element when the live order puts it first.
    static func normalizedOrder(_ patchItems: [JSON], _ serverOnly: [JSON], patchOrder: [JSON], serverOrder: [JSON],
                                _ mergeKey: String, _ kind: String) throws(PatchError) -> [JSON] {
        let right = try sorted(patchItems, by: patchOrder, mergeKey, kind)
        let left = try sorted(serverOnly, by: serverOrder, mergeKey, kind)
        let position = positions(serverOrder, mergeKey, kind)
        var out: [JSON] = []
        out.reserveCapacity(left.count + right.count)
        var i = 0, j = 0
        while i < left.count || j < right.count {
            if i >= left.count {
                out.append(right[j]); j += 1
            } else if j >= right.count {
                out.append(left[i]); i += 1
            } else if let l = position[identity(left[i], mergeKey, kind)],
                      let r = position[identity(right[j], mergeKey, kind)], l < r {
                out.append(left[i]); i += 1
            } else {
                out.append(right[j]); j += 1
            }
        }
        return out
    }

    /// `normalizeSliceOrder`: elements found in `order` sorted by their first position there
    /// (stable), the rest after them; for objects, `$patch: delete` elements last.
    static func sorted(_ items: [JSON], by order: [JSON], _ mergeKey: String, _ kind: String) throws(PatchError) -> [JSON] {
        var items = items
        var deletions: [JSON] = []
        if kind == objectType {
            for element in items + order {
                guard let map = element.object else { throw badArgType(expected: objectType, element) }
                if map[mergeKey] == nil { throw noMergeKey(map, mergeKey) }
            }
            deletions = items.filter { $0.object?[directiveMarker] == "delete" }
            items.removeAll { $0.object?[directiveMarker] == "delete" }
        }
        let position = positions(order, mergeKey, kind)
        let ranked = items.enumerated().map { (rank: position[identity($0.element, mergeKey, kind)], index: $0.offset, element: $0.element) }
        let found = ranked.filter { $0.rank != nil }.sorted { ($0.rank!, $0.index) < ($1.rank!, $1.index) }
        let missing = ranked.filter { $0.rank == nil }
        return found.map(\.element) + missing.map(\.element) + deletions
    }

    /// What identifies an element when ordering: its merge key value for objects (`null` when
    /// missing), the element itself for primitives.
    static func identity(_ element: JSON, _ mergeKey: String, _ kind: String) -> JSON {
        kind == objectType ? (element.object?[mergeKey] ?? .null) : element
    }

    /// The first position of each identity in `list`.
    static func positions(_ list: [JSON], _ mergeKey: String, _ kind: String) -> [JSON: Int] {
        var out: [JSON: Int] = [:]
        for (i, element) in list.enumerated() where out[identity(element, mergeKey, kind)] == nil {
            out[identity(element, mergeKey, kind)] = i
        }
        return out
    }

    /// `list` without repeated values, first occurrences kept.
    static func deduplicated(_ list: [JSON]) -> [JSON] {
        var seen = Set<JSON>()
        return list.filter { seen.insert($0).inserted }
    }
}
