/// `$setElementOrder/<field>` (`mergePatchIntoOriginal`): the field's list is merged first and
/// then ordered: elements named in the directive list by that order, the others keeping their
/// live relative order, interleaved as the live order allows.
extension StrategicMergePatch {
    static func applyElementOrder(_ original: inout [String: JSON], _ patch: inout [String: JSON], _ meta: (any PatchMeta)?) throws(PatchError) {
        for key in patch.keys.sorted() where key.hasPrefix(setElementOrderPrefix) {
            let directive = patch.removeValue(forKey: key)!
            guard case .array(let order) = directive else { throw badArgType(expected: "[]interface {}", directive) }
            let field = try extractKey(key, setElementOrderPrefix,
                                       PatchError(.badRequest, "invalid patch format of setElementOrder list"))
            let liveValue = original[field]
            let patchValue = patch[field]
            var live: [JSON] = []
            var change: [JSON] = []
            if let liveValue {
                guard case .array(let list) = liveValue else { throw badArgType(expected: "[]interface {}", liveValue) }
                live = list
            }
            if let patchValue {
                guard case .array(let list) = patchValue else { throw badArgType(expected: "[]interface {}", patchValue) }
                change = list
            }
            let sub = meta?.child(field)
            let mergeKey = sub?.patchMergeKey ?? ""
            try validate(change, against: order, mergeKey)

            let merged: [JSON]
            var serverOrder = live
            switch (liveValue != nil, patchValue != nil) {
            case (true, false):
                merged = live
            case (false, true):
                merged = change.compactMap(cleaned)
            case (true, true):
                if sub?.mergeStrategy == "merge" {
                    merged = try mergeList(live, change, sub, isDeleteList: false)
                    if !mergeKey.isEmpty { serverOrder = liveOrderAfterMerge(live, change, mergeKey) }
                } else {
                    merged = change.compactMap(cleaned)
                }
            case (false, false):
                continue
            }
            let (named, others) = try partition(merged, by: order, mergeKey)
            let kind = try elementType(live, change)
            original[field] = .array(try normalizedOrder(named, others, patchOrder: order, serverOrder: serverOrder, mergeKey, kind))
            patch[field] = nil
        }
    }

    /// The live list as Kubernetes orders by it after merging a patch list into it: Go's
    /// `mergeSlice` deletes elements by shifting the live slice's backing array, which the caller
    /// keeps using, and appends new elements into the slots that frees. So deleted elements give
    /// way to the remaining ones, then to the first new elements (new elements otherwise count as
    /// absent from the live order), and the tail keeps stale copies.
    static func liveOrderAfterMerge(_ live: [JSON], _ patch: [JSON], _ mergeKey: String) -> [JSON] {
        var slots = live
        var count = live.count
        var additions: [JSON] = []
        var replace = false
        for element in patch {
            guard let map = element.object else { return live }
            switch map[directiveMarker] {
            case nil:
                additions.append(element)
            case "delete"?:
                guard let key = map[mergeKey] else { return live }
                while let k = slots[..<count].firstIndex(where: { $0.object?[mergeKey] == key }) {
                    slots[k..<(count - 1)] = slots[(k + 1)..<count]
                    count -= 1
                }
            case "replace"?:
                replace = true
            default:
                return live
            }
        }
        if replace { return slots }
        var keys = slots[..<count].map { $0.object?[mergeKey] ?? .null }
        for element in additions {
            let key = element.object?[mergeKey] ?? .null
            if keys.contains(key) { continue }
            keys.append(key)
            if count < slots.count { slots[count] = element }
            count += 1
        }
        return slots
    }

    /// `validatePatchWithSetOrderList`: the patch list's elements (deletions and other directive
    /// elements aside) must appear in the order list, in the same relative order.
    static func validate(_ change: [JSON], against order: [JSON], _ mergeKey: String) throws(PatchError) {
        if order.isEmpty || change.isEmpty { return }
        var items = change
        if !mergeKey.isEmpty {
            for element in change where element.object == nil { throw badArgType(expected: objectType, element) }
            items.removeAll { $0.object?[directiveMarker] == "delete" }
        }
        var p = 0, s = 0
        while p < items.count && s < order.count {
            if items[p].object?[directiveMarker] != nil {
                p += 1
                continue
            }
            if try sameElement(items[p], order[s], mergeKey) { p += 1 }
            s += 1
        }
        if p < items.count && s >= order.count {
            throw PatchError(.internalError, "the order in patch list:\n\(PatchError.goValue(.array(change)))\n doesn't match \(setElementOrderPrefix) list:\n\(PatchError.goValue(.array(order)))")
        }
    }

    /// `mergeKeyValueEqual`: equal merge key values, or equal values without a merge key.
    static func sameElement(_ left: JSON, _ right: JSON, _ mergeKey: String) throws(PatchError) -> Bool {
        if mergeKey.isEmpty { return left == right }
        guard let l = left.object else { throw badArgType(expected: objectType, left) }
        guard let r = right.object else { throw badArgType(expected: objectType, right) }
        guard let lk = l[mergeKey] else { throw noMergeKey(l, mergeKey) }
        guard let rk = r[mergeKey] else { throw noMergeKey(r, mergeKey) }
        return lk == rk
    }
}
