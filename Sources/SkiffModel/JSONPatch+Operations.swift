/// The six RFC 6902 operations on a `JSON` document, worded as evanphx/json-patch v4 words its
/// errors. A pointer's parent must resolve to an object or array ("doc is missing path"
/// otherwise); the last token then names a member or an index in it.
extension JSONPatch {
    static func apply(_ op: Operation, to doc: inout JSON, copiedBytes: inout Int, maxCopyBytes: Int) throws(JSONPatchFailure) {
        switch op.op {
        case "add":
            let path = try decodedPath(op, "add operation failed to decode path")
            try withParent(&doc, path, orElse: JSONPatchFailure.missing.wrapped("add operation does not apply: doc is missing path: \"\(path)\"")) { (c, key) throws(JSONPatchFailure) in
                do throws(JSONPatchFailure) { try add(op.value ?? .null, to: &c, key) } catch { throw error.wrapped("error in add for path: '\(path)'") }
            }
        case "remove":
            let path = try decodedPath(op, "remove operation failed to decode path")
            try withParent(&doc, path, orElse: JSONPatchFailure.missing.wrapped("remove operation does not apply: doc is missing path: \"\(path)\"")) { (c, key) throws(JSONPatchFailure) in
                do throws(JSONPatchFailure) { _ = try remove(from: &c, key) } catch { throw error.wrapped("error in remove for path: '\(path)'") }
            }
        case "replace":
            let path = try decodedPath(op, "replace operation failed to decode path", wrapMissing: true)
            if path.isEmpty {
                let value = op.value ?? .null
                if value.object != nil || value.array != nil { doc = value }
                return
            }
            try withParent(&doc, path, orElse: JSONPatchFailure.missing.wrapped("replace operation does not apply: doc is missing path: \(path)")) { (c, key) throws(JSONPatchFailure) in
                do throws(JSONPatchFailure) { _ = try get(c, key) } catch {
                    throw JSONPatchFailure.missing.wrapped("replace operation does not apply: doc is missing key: \(path)")
                }
                try set(op.value ?? .null, in: &c, key)
            }
        case "move":
            let from = try decodedFrom(op, "move operation failed to decode from")
            let value = try withParent(&doc, from, orElse: JSONPatchFailure.missing.wrapped("move operation does not apply: doc is missing from path: \(from)")) { (c, key) throws(JSONPatchFailure) -> JSON in
                do throws(JSONPatchFailure) {
                    _ = try get(c, key)
                    return try remove(from: &c, key)
                } catch { throw error.wrapped("error in move for path: '\(key)'") }
            }
            let path = try decodedPath(op, "move operation failed to decode path", wrapMissing: true)
            try withParent(&doc, path, orElse: JSONPatchFailure.missing.wrapped("move operation does not apply: doc is missing destination path: \(path)")) { (c, key) throws(JSONPatchFailure) in
                do throws(JSONPatchFailure) { try add(value, to: &c, key) } catch { throw error.wrapped("error in move for path: '\(path)'") }
            }
        case "copy":
            let from = try decodedFrom(op, "copy operation failed to decode from")
            let value = try withParent(&doc, from, orElse: JSONPatchFailure.missing.wrapped("copy operation does not apply: doc is missing from path: \(from)")) { (c, key) throws(JSONPatchFailure) -> JSON in
                do throws(JSONPatchFailure) { return try get(c, key) ?? .null } catch { throw error.wrapped("error in copy for from: '\(from)'") }
            }
            let path = try decodedPath(op, "copy operation failed to decode path")
            copiedBytes += value.serialized().count
            if maxCopyBytes > 0, copiedBytes > maxCopyBytes {
                throw JSONPatchFailure("Unable to complete the copy, the accumulated size increase of copy is \(copiedBytes), exceeding the limit \(maxCopyBytes)")
            }
            try withParent(&doc, path, orElse: JSONPatchFailure.missing.wrapped("copy operation does not apply: doc is missing destination path: \(path)")) { (c, key) throws(JSONPatchFailure) in
                do throws(JSONPatchFailure) { try add(value, to: &c, key) } catch { throw error.wrapped("error while adding value during copy") }
            }
        case "test":
            let path = try decodedPath(op, "test operation failed to decode path", wrapMissing: true)
            let actual: JSON?
            if path.isEmpty {
                actual = doc
            } else {
                actual = try withParent(&doc, path, orElse: JSONPatchFailure.missing.wrapped("test operation does not apply: is missing path: \(path)")) { (c, key) throws(JSONPatchFailure) -> JSON? in
                    do throws(JSONPatchFailure) { return try get(c, key) } catch { throw error.wrapped("error in test for path: '\(path)'") }
                }
            }
            if !testPasses(actual, op.value) {
                throw JSONPatchFailure.testFailed.wrapped("testing value \(path) failed")
            }
        default:
            throw JSONPatchFailure("Unexpected kind: \(op.op)")
        }
    }

    /// Missing-or-null matches `null` or an absent value; anything else must be equal.
    private static func testPasses(_ actual: JSON?, _ expected: JSON?) -> Bool {
        let actual = actual?.isNull == true ? nil : actual
        guard let actual else { return expected == nil || expected == .null }
        guard let expected else { return false }
        return actual == expected
    }

    private static func decodedPath(_ op: Operation, _ context: String, wrapMissing: Bool = false) throws(JSONPatchFailure) -> String {
        if let path = op.path { return path }
        throw wrapMissing
            ? JSONPatchFailure.missing.wrapped("operation missing path field").wrapped(context)
            : JSONPatchFailure.missing.wrapped(context)
    }

    private static func decodedFrom(_ op: Operation, _ context: String) throws(JSONPatchFailure) -> String {
        if let from = op.from { return from }
        throw JSONPatchFailure.missing.wrapped("operation, missing from field").wrapped(context)
    }

    /// Runs `body` on the object or array holding the last token of `pointer`, or throws `missing`
    /// when that container does not exist. Intermediate array tokens may be negative.
    /// On a throw `doc` is left partly taken apart: callers discard it.
    @discardableResult
    private static func withParent<R>(_ doc: inout JSON, _ pointer: String, orElse missing: @autoclosure () -> JSONPatchFailure,
                                      _ body: (inout JSON, String) throws(JSONPatchFailure) -> R) throws(JSONPatchFailure) -> R {
        guard let tokens = JSONPointer(pointer)?.tokens, !tokens.isEmpty,
              let result = try descend(&doc, tokens[...], body) else { throw missing() }
        return result
    }

    private static func descend<R>(_ node: inout JSON, _ tokens: ArraySlice<String>,
                                   _ body: (inout JSON, String) throws(JSONPatchFailure) -> R) throws(JSONPatchFailure) -> R? {
        let token = tokens.first!
        if tokens.count == 1 {
            switch node {
            case .object, .array: return try body(&node, token)
            default: return nil
            }
        }
        switch node {
        case .object(var members):
            guard var child = members[token] else { return nil }
            node = .null
            members[token] = .null
            let result = try descend(&child, tokens.dropFirst(), body)
            members[token] = child
            node = .object(members)
            return result
        case .array(var elements):
            guard var i = Int(token) else { return nil }
            if i < 0 { i += elements.count }
            guard i >= 0, i < elements.count else { return nil }
            var child = elements[i]
            node = .null
            elements[i] = .null
            let result = try descend(&child, tokens.dropFirst(), body)
            elements[i] = child
            node = .array(elements)
            return result
        default:
            return nil
        }
    }

    private static func index(_ key: String) throws(JSONPatchFailure) -> Int {
        guard let i = Int(key) else { throw JSONPatchFailure("strconv.Atoi: parsing \"\(key)\": invalid syntax") }
        return i
    }

    private static func invalidIndex(_ i: Int) -> JSONPatchFailure {
        JSONPatchFailure.invalidIndex.wrapped("Unable to access invalid index: \(i)")
    }

    /// An in-range index into an array of `count` elements, negative ones counted from the end.
    private static func existingIndex(_ key: String, count: Int) throws(JSONPatchFailure) -> Int {
        var i = try index(key)
        if i < 0 {
            if i < -count { throw invalidIndex(i) }
            i += count
        }
        if i >= count { throw invalidIndex(i) }
        return i
    }

    /// The member or element `key` of container `c`; nil for a missing object member.
    private static func get(_ c: JSON, _ key: String) throws(JSONPatchFailure) -> JSON? {
        switch c {
        case .object(let o): return o[key]
        case .array(let a): return a[try existingIndex(key, count: a.count)]
        default: return nil
        }
    }

    private static func set(_ value: JSON, in c: inout JSON, _ key: String) throws(JSONPatchFailure) {
        switch c {
        case .object: c[key] = value
        case .array(var a):
            let i = try existingIndex(key, count: a.count)
            c = .null
            a[i] = value
            c = .array(a)
        default: break
        }
    }

    private static func add(_ value: JSON, to c: inout JSON, _ key: String) throws(JSONPatchFailure) {
        switch c {
        case .object: c[key] = value
        case .array(var a):
            var i: Int
            if key == "-" {
                i = a.count
            } else {
                do throws(JSONPatchFailure) { i = try index(key) } catch { throw error.wrapped("value was not a proper array index: '\(key)'") }
            }
            if i > a.count || i < -(a.count + 1) { throw invalidIndex(i) }
            if i < 0 { i += a.count + 1 }
            c = .null
            a.insert(value, at: i)
            c = .array(a)
        default: break
        }
    }

    /// Removes and returns the member or element `key` of container `c`.
    private static func remove(from c: inout JSON, _ key: String) throws(JSONPatchFailure) -> JSON {
        switch c {
        case .object(var o):
            guard o[key] != nil else { throw JSONPatchFailure.missing.wrapped("Unable to remove nonexistent key: \(key)") }
            c = .null
            let value = o.removeValue(forKey: key)!
            c = .object(o)
            return value
        case .array(var a):
            let i = try existingIndex(key, count: a.count)
            c = .null
            let value = a.remove(at: i)
            c = .array(a)
            return value
        default:
            return .null
        }
    }
}
