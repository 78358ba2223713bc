import Crypto

/// Content digests (`sha256:<64 lowercase hex>`), the names of blobs, manifests and layers.
public enum Digest {
    /// Whether `s` is a well-formed sha256 digest (the only algorithm Skiff accepts).
    public static func isValid(_ s: String) -> Bool {
        guard s.hasPrefix("sha256:") else { return false }
        let hex = s.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// The 64 hex characters after `sha256:`.
    public static func hex(_ digest: String) -> String { String(digest.dropFirst(7)) }

    public static func sha256(_ bytes: some Sequence<UInt8>) -> String {
        var h = SHA256()
        h.update(data: Array(bytes))
        return format(h.finalize())
    }

    static func format(_ d: SHA256.Digest) -> String {
        "sha256:" + d.map { String($0, radix: 16).leftPad(2) }.joined()
    }

    /// Throws `digestMismatch` unless `bytes` hash to `expected`.
    public static func verify(_ bytes: [UInt8], _ expected: String, what: String) throws {
        let actual = sha256(bytes)
        guard actual == expected else {
            throw ImageError(.digestMismatch, "\(what): expected \(expected), got \(actual)")
        }
    }
}

/// A running sha256 over content that arrives in pieces.
struct Hasher {
    private var h = SHA256()
    mutating func update(_ bytes: UnsafeRawBufferPointer) { h.update(bufferPointer: bytes) }
    mutating func update(_ bytes: [UInt8]) { h.update(data: bytes) }
    func finalize() -> String { Digest.format(h.finalize()) }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
