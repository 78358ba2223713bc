import SkiffModel

/// The `pod-template-hash` that names a Deployment's ReplicaSets and keeps their Pods apart, and
/// template comparison that ignores it (deployment util's `ComputeHash` and `EqualIgnoreHash`).
///
/// The hash is FNV-1a (32 bit) of the template in a canonical form (sorted keys, empty values
/// left out), followed by `collisionCount` when set, written in Kubernetes' "safe" alphabet
/// (no vowels, so no words). Not byte-for-byte Kubernetes' hash, which hashes Go's printing of
/// the struct, but stable across restarts and versions of Skiff.
enum PodTemplateHash {
    static let label = "pod-template-hash"
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func compute(_ template: JSON, collisionCount: Int64?) -> String {
        var hash: UInt32 = 2_166_136_261
        func add(_ byte: UInt8) {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        for byte in (canonical(template) ?? [:]).serialized(sortedKeys: true) { add(byte) }
        if let collisionCount {
            let value = UInt32(truncatingIfNeeded: collisionCount)
            for i in 0..<8 { add(i < 4 ? UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) : 0) }
        }
        return String(String(hash).utf8.map { alphabet[Int($0) % alphabet.count] })
    }

    /// Whether two Pod templates are the same apart from the `pod-template-hash` label and
    /// absent-versus-empty differences (null, `{}`, `[]`), which typed clients such as kubectl
    /// introduce when they write a template back (`kubectl rollout undo`).
    static func equalIgnoringHash(_ a: JSON, _ b: JSON) -> Bool {
        canonical(withoutHash(a)) == canonical(withoutHash(b))
    }

    static func withoutHash(_ template: JSON) -> JSON {
        var t = template
        if t["metadata", "labels", label] != nil { t["metadata", "labels", label] = nil }
        return t
    }

    /// `value` without null members, empty objects and empty arrays (recursively); nil if that
    /// leaves nothing.
    static func canonical(_ value: JSON) -> JSON? {
        switch value {
        case .null:
            return nil
        case .object(let members):
            var out: [String: JSON] = [:]
            for (k, v) in members { if let c = canonical(v) { out[k] = c } }
            return out.isEmpty ? nil : .object(out)
        case .array(let items):
            let out = items.map { canonical($0) ?? .object([:]) }
            return out.isEmpty ? nil : .array(out)
        default:
            return value
        }
    }
}
