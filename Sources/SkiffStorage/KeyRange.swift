/// The keys under a prefix, ordered by their UTF-8 bytes.
///
/// Byte order is SQLite's `BINARY` collation, so every backend lists keys in the same order.
struct KeyRange: Sendable {
    let prefix: String
    /// The smallest byte string greater than every key under the prefix; nil when unbounded
    /// (empty prefix, or a prefix of only 0xFF bytes).
    let upperBound: [UInt8]?

    init(prefix: String) {
        self.prefix = prefix
        var bytes = Array(prefix.utf8)
        while let last = bytes.last, last == 0xFF { bytes.removeLast() }
        if bytes.isEmpty {
            upperBound = nil
        } else {
            bytes[bytes.count - 1] += 1
            upperBound = bytes
        }
    }

    func contains(_ key: String) -> Bool { key.utf8.starts(with: prefix.utf8) }

    /// Where a listing starts: after `startAfter` when that is at or past the prefix, else at
    /// the prefix itself.
    func lowerBound(startAfter: String?) -> (key: String, inclusive: Bool) {
        if let startAfter, !Self.precedes(startAfter, prefix) {
            return (startAfter, false)
        }
        return (prefix, true)
    }

    /// Byte-wise key order.
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
