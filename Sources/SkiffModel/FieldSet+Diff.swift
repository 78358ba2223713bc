/// What an update does to an object's fields, found in one walk of both versions that skips
/// every subtree the update left equal.
extension FieldSet {
    /// The fields an update from `old` to `new` changed (fields `new` sets that `old` did not,
    /// and leaves whose value differs; a map or an associative list element that both set is
    /// not a change by itself) and the fields it removed (set in `old`, not in `new`).
    /// Equal to comparing `of(old)` and `of(new)` path by path, without walking equal subtrees.
    public static func diff(from old: JSON, to new: JSON, meta: SchemaPatchMeta?,
                            ignoring ignored: Set<String> = []) -> (changed: FieldSet, removed: FieldSet) {
        var walker = DiffWalker()
        // Tracked fields on either side, each compared with the other side's value at its path.
        var seen = Set<FieldPath>()
        forEachTopLevel(new, meta: meta, ignoring: ignored) { value, meta, path in
            seen.insert(path)
            walker.node(value, FieldSet.value(in: old, at: path), meta, path)
        }
        forEachTopLevel(old, meta: meta, ignoring: ignored) { value, meta, path in
            if !seen.contains(path) { walker.node(nil, value, meta, path) }
        }
        return (FieldSet(walker.changed), FieldSet(walker.removed))
    }

    /// The value at a top-level path (`.spec` or `.metadata.labels`).
    static func value(in object: JSON, at path: FieldPath) -> JSON? {
        var current: JSON? = object
        for case .field(let name) in path.elements { current = current?[name] }
        return current
    }

    struct DiffWalker {
        var changed = Set<FieldPath>()
        var removed = Set<FieldPath>()

        /// One place, with the value each side has there (nil: the side does not set it).
        mutating func node(_ new: JSON?, _ old: JSON?, _ meta: SchemaPatchMeta?, _ path: FieldPath) {
            if let new, let old, new == old { return }
            let inNew = new.map { FieldSet.isOwnMember($0, meta) } ?? false
            let inOld = old.map { FieldSet.isOwnMember($0, meta) } ?? false
            if inNew && (!inOld || (new?.object == nil && new != old)) { changed.insert(path) }
            if inOld && !inNew { removed.insert(path) }
            // What lies below: object members, associative list elements, set values.
            members(new?.object ?? [:], old?.object ?? [:], meta, path)
            let newItems = new?.array, oldItems = old?.array
            guard newItems != nil || oldItems != nil else { return }
            let elementMeta = meta?.elements as? SchemaPatchMeta
            let newKeyed = FieldSet.keyed(newItems ?? [], meta), oldKeyed = FieldSet.keyed(oldItems ?? [], meta)
            for (key, item) in newKeyed { element(item, oldKeyed[key], elementMeta, path.appending(.key(key))) }
            for (key, item) in oldKeyed where newKeyed[key] == nil { element(nil, item, elementMeta, path.appending(.key(key))) }
            guard FieldSet.isSet(meta) else { return }
            let newValues = Set((newKeyed.isEmpty ? newItems ?? [] : []).map { $0.serializedString(sortedKeys: true) })
            let oldValues = Set((oldKeyed.isEmpty ? oldItems ?? [] : []).map { $0.serializedString(sortedKeys: true) })
            for v in newValues.subtracting(oldValues) { changed.insert(path.appending(.value(v))) }
            for v in oldValues.subtracting(newValues) { removed.insert(path.appending(.value(v))) }
        }

        /// An associative list element: a member of its side's set, with its fields below.
        mutating func element(_ new: JSON?, _ old: JSON?, _ meta: SchemaPatchMeta?, _ path: FieldPath) {
            if let new, let old, new == old { return }
            if new != nil && old == nil { changed.insert(path) }
            if old != nil && new == nil { removed.insert(path) }
            members(new?.members ?? [:], old?.members ?? [:], meta, path)
        }

        /// The members of an object on either side, each against the other side's.
        mutating func members(_ new: [String: JSON], _ old: [String: JSON], _ meta: SchemaPatchMeta?, _ path: FieldPath) {
            for (k, v) in new { node(v, old[k], meta?.child(k) as? SchemaPatchMeta, path.appending(.field(k))) }
            for (k, v) in old where new[k] == nil { node(nil, v, meta?.child(k) as? SchemaPatchMeta, path.appending(.field(k))) }
        }
    }

    /// An associative list's elements by their key (the last of equal keys wins, as in a set of
    /// paths); none for a list that is not associative.
    static func keyed(_ items: [JSON], _ meta: SchemaPatchMeta?) -> [String: JSON] {
        guard let keys = mapKeys(of: items, meta) else { return [:] }
        var out: [String: JSON] = [:]
        for item in items { out[elementKey(item, keys)] = item }
        return out
    }
}
