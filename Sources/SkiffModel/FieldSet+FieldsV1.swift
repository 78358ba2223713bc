/// The `fieldsV1` form of a field set, as `metadata.managedFields[].fieldsV1` holds it:
/// `{"f:spec":{"f:replicas":{}},"f:metadata":{"f:labels":{".":{},"f:app":{}}}}`.
extension FieldSet {
    public var fieldsV1: JSON {
        var root: [String: JSON] = [:]
        for path in paths {
            FieldSet.insert(path.elements[...], into: &root)
        }
        return FieldSet.collapse(.object(root))
    }

    /// A member with nothing below it is written `{}`, not `{".":{}}`.
    static func collapse(_ node: JSON) -> JSON {
        guard var members = node.object else { return node }
        if members.count == 1, members["."] != nil { return [:] }
        for (k, v) in members where k != "." { members[k] = collapse(v) }
        return .object(members)
    }

    static func insert(_ elements: ArraySlice<FieldPathElement>, into node: inout [String: JSON]) {
        guard let first = elements.first else { return }
        let key = first.fieldsV1Key
        // Taken out of `node` so that `child` is the only reference and grows in place.
        var child = node.removeValue(forKey: key)?.object ?? [:]
        if elements.count == 1 {
            child["."] = [:]
        } else {
            insert(elements.dropFirst(), into: &child)
        }
        node[key] = .object(child)
    }

    /// Reads a `fieldsV1` tree; unknown key forms are skipped.
    public init(fieldsV1: JSON) {
        var set = Set<FieldPath>()
        func walk(_ node: [String: JSON], _ path: [FieldPathElement]) {
            for (k, v) in node {
                if k == "." {
                    if !path.isEmpty { set.insert(FieldPath(path)) }
                    continue
                }
                guard let e = FieldPathElement(fieldsV1Key: k) else { continue }
                let children = v.members
                if children.isEmpty {
                    set.insert(FieldPath(path + [e]))
                } else {
                    walk(children, path + [e])
                }
            }
        }
        walk(fieldsV1.members, [])
        self.init(set)
    }
}
