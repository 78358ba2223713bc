/// JSON Merge Patch (RFC 7386, `application/merge-patch+json`).
///
/// A patch object is merged into the target member by member: `null` removes the member, an
/// object is merged recursively into the member (an absent or non-object member counts as `{}`),
/// and any other value (arrays included) replaces the member. A non-object patch replaces the
/// whole target.
///
/// As in evanphx/json-patch v4 (what kube-apiserver uses), a value that is taken from the patch
/// rather than merged has its `null` object members removed at every depth, also inside arrays
/// (`[null]` itself stays `[null]`), and a patch that is `null` or a scalar is refused with
/// `Invalid JSON Patch` (400): Kubernetes objects are always JSON objects.
public enum MergePatch {
    /// `patch` applied to `target`.
    public static func apply(_ patch: JSON, to target: JSON) throws(PatchError) -> JSON {
        switch patch {
        case .object(let members):
            var result = target.object ?? [:]
            merge(members, into: &result)
            return .object(result)
        case .array:
            return pruned(patch)
        default:
            throw PatchError(.badRequest, "Invalid JSON Patch")
        }
    }

    /// Applies a patch given as JSON text; unparsable text is `Invalid JSON Patch`.
    public static func apply(parsing text: some Collection<UInt8>, to target: JSON) throws(PatchError) -> JSON {
        guard let patch = try? JSON.parse(text) else { throw PatchError(.badRequest, "Invalid JSON Patch") }
        return try apply(patch, to: target)
    }

    private static func merge(_ patch: [String: JSON], into target: inout [String: JSON]) {
        for (key, value) in patch {
            switch value {
            case .null:
                target.removeValue(forKey: key)
            case .object(let members):
                if case .object(var existing)? = target[key] {
                    target[key] = nil
                    merge(members, into: &existing)
                    target[key] = .object(existing)
                } else {
                    target[key] = pruned(value)
                }
            default:
                target[key] = pruned(value)
            }
        }
    }

    /// `value` without `null` object members, at any depth.
    static func pruned(_ value: JSON) -> JSON {
        switch value {
        case .object(let members):
            var out: [String: JSON] = [:]
            out.reserveCapacity(members.count)
            for (k, v) in members where !v.isNull { out[k] = pruned(v) }
            return .object(out)
        case .array(let elements):
            return .array(elements.map(pruned))
        default:
            return value
        }
    }
}
