/// A JSON Pointer (RFC 6901): `""` is the whole document, `/spec/containers/0/image` a member.
///
/// Reference tokens are unescaped on parsing (`~1` is `/`, `~0` is `~`, in that order) and
/// escaped again by `description`. Whether a token names an array index (`0`, or `-` for "past
/// the end") is decided when the pointer is applied to a document.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The unescaped reference tokens; empty for the whole document.
    public var tokens: [String]

    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Parses a pointer; `nil` unless it is empty or starts with `/`.
    public init?(_ string: String) {
        if string.isEmpty {
            tokens = []
            return
        }
        guard string.hasPrefix("/") else { return nil }
        tokens = string.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            .map { JSONPointer.unescape(String($0)) }
    }

    public var description: String {
        tokens.map { "/" + JSONPointer.escape($0) }.joined()
    }

    /// A reference token with `~` written `~0` and `/` written `~1`.
    public static func escape(_ token: String) -> String {
        guard token.contains("~") || token.contains("/") else { return token }
        return token.replacingOccurrences("~", with: "~0").replacingOccurrences("/", with: "~1")
    }

    /// The token a `~`-escaped reference token stands for.
    public static func unescape(_ token: String) -> String {
        guard token.contains("~") else { return token }
        return token.replacingOccurrences("~1", with: "/").replacingOccurrences("~0", with: "~")
    }

    /// The value this pointer refers to in `document`, or nil if there is none. Array tokens must
    /// be in-range decimal indices (`-` refers to nothing).
    public func resolve(in document: JSON) -> JSON? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let elements):
                guard let i = Int(token), i >= 0, i < elements.count else { return nil }
                current = elements[i]
            default:
                return nil
            }
        }
        return current
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement` (Foundation-free).
    fileprivate func replacingOccurrences(_ target: String, with replacement: String) -> String {
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
