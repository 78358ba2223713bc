/// The `fieldsV1` form of a field set, as `metadata.managedFields[].fieldsV1` holds it:
/// `{"f:spec":{"f:replicas":{}},"f:metadata":{"f:labels":{".":{},"f:app":{}}}}`.
extension FieldSet {
    public var fieldsV1: JSON {
        FieldSet.tree(paths.map { $0.elements[...] })
    }

    /// The `fieldsV1` node of the paths below one place (each path here without that place's
    /// own elements): a member with nothing below it is `{}`, one with members below is
    /// `{".":{}, ...}`, as structured-merge-diff writes them. Each key is made once per node.
    static func tree(_ paths: [ArraySlice<FieldPathElement>]) -> JSON {
        var isMember = false
        var below: [FieldPathElement: [ArraySlice<FieldPathElement>]] = [:]
        for path in paths {
            if let first = path.first {
                below[first, default: []].append(path.dropFirst())
            } else {
                isMember = true
            }
        }
        var node: [String: JSON] = [:]
        node.reserveCapacity(below.count + 1)
        if isMember && !below.isEmpty { node["."] = [:] }
        for (element, rest) in below { node[element.fieldsV1Key] = tree(rest) }
        return .object(node)
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

extension FieldSet {
    /// Whether a `fieldsV1` tree holds `path`, read without decoding the tree.
    public static func fieldsV1(_ tree: JSON, contains path: FieldPath) -> Bool {
        var node = tree
        for element in path.elements {
            guard let next = node[element.fieldsV1Key] else { return false }
            node = next
        }
        let members = node.members
        return members.isEmpty || members["."] != nil
    }
}
