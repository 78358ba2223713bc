/// A field selector (apimachinery `fields.Selector`): `field=value` and `field!=value` terms
/// that must all hold, matched against the selectable fields of an object (`metadata.name`,
/// `metadata.namespace`, `status.phase`, ...).
///
/// Syntax, as `fields.ParseSelector`: terms separated by `,`; the operator is the first `!=`,
/// `==` or `=` in a term; in values `\,`, `\=` and `\\` stand for `,`, `=` and `\`, and a bare
/// `,`/`=` or another escape is an error. Other operators (`in`, `notin`, `>`, `exists`) are not
/// supported and make the whole selector an error, worded as Kubernetes does.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// One term (`fields.Requirement`); `==` is stored as `equals`.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public enum Operator: String, Sendable, Hashable {
            case equals = "="
            case notEquals = "!="
        }

        public let field: String
        public let op: Operator
        public let value: String

        public init(field: String, op: Operator, value: String) {
            self.field = field
            self.op = op
            self.value = value
        }

        /// A missing field counts as the empty string, as in Kubernetes.
        public func matches(_ fields: [String: String]) -> Bool {
            (fields[field] ?? "" == value) == (op == .equals)
        }

        /// `field=value` or `field!=value`, value unescaped (as Kubernetes prints it).
        public var description: String { field + op.rawValue + value }
    }

    /// The terms, in the order Kubernetes keeps them (parsed terms sorted as strings).
    public let requirements: [Requirement]

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    /// Matches every object (the empty string).
    public static let everything = FieldSelector()

    /// `metadata.name=<name>`, the selector of a watch on one named object.
    public static func name(_ name: String) -> FieldSelector {
        FieldSelector(requirements: [Requirement(field: "metadata.name", op: .equals, value: name)])
    }

    public var isEverything: Bool { requirements.isEmpty }

    /// Whether an object whose selectable fields are `fields` is selected.
    public func matches(_ fields: [String: String]) -> Bool {
        for requirement in requirements where !requirement.matches(fields) { return false }
        return true
    }

    /// A selector with the terms of both (`fields.AndSelectors`).
    public func and(_ other: FieldSelector) -> FieldSelector {
        FieldSelector(requirements: requirements + other.requirements)
    }

    /// The value `field` must equal, if an `=` term pins it.
    public func requiresExactMatch(_ field: String) -> String? {
        requirements.first { $0.field == field && $0.op == .equals }?.value
    }

    /// The distinct field names used, in order, for checking against the fields a kind supports.
    public var fieldNames: [String] {
        var seen: [String] = []
        for r in requirements where !seen.contains(r.field) { seen.append(r.field) }
        return seen
    }

    /// The first field not in `supported`, worded as Kubernetes' per-kind conversions word it:
    /// `field label not supported: spec.foo`. Kinds with only the default conversion say
    /// `"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"`
    /// instead; pass `defaultConversion: true` for that wording.
    public func checkSupported(_ supported: Set<String>, defaultConversion: Bool = false) throws(SelectorParseError) {
        guard let field = fieldNames.first(where: { !supported.contains($0) }) else { return }
        if defaultConversion {
            throw SelectorParseError("\(goQuoted(field)) is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
        }
        throw SelectorParseError("field label not supported: \(field)")
    }

    /// Terms joined by `,`; empty for `everything`.
    public var description: String { requirements.map(\.description).joined(separator: ",") }

    /// Parses `text`; the empty string (and empty terms) select everything.
    ///
    /// Errors: `invalid selector: 'a'; can't understand 'a'` (no operator),
    /// `invalid field selector: invalid escape sequence: \x`, and for a bare `,`/`=` in a value
    /// `invalid field selector: unescaped character in value: 61` (Go prints the code point).
    public static func parse(_ text: String) throws(SelectorParseError) -> FieldSelector {
        let terms = splitTerms(text).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var requirements: [Requirement] = []
        for term in terms where !term.isEmpty {
            guard let (field, op, rawValue) = splitTerm(term) else {
                throw SelectorParseError("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            requirements.append(Requirement(field: field, op: op, value: try unescape(rawValue)))
        }
        return FieldSelector(requirements: requirements)
    }

    /// `fields.EscapeValue`: escapes `\`, `,` and `=` for use as a value.
    public static func escape(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            if c == "\\" || c == "," || c == "=" { out += "\\" }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// Splits on commas not preceded by a backslash escape; escapes stay in the terms.
    static func splitTerms(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        var terms: [String] = []
        var current = String.UnicodeScalarView()
        var escaped = false
        for c in text.unicodeScalars {
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "," {
                terms.append(String(current))
                current = String.UnicodeScalarView()
                continue
            }
            current.append(c)
        }
        terms.append(String(current))
        return terms
    }

    /// The field, operator and raw value around the first `!=`, `==` or `=`.
    static func splitTerm(_ term: String) -> (String, Requirement.Operator, String)? {
        let bytes = Array(term.utf8)
        for i in bytes.indices {
            let next: UInt8? = i + 1 < bytes.count ? bytes[i + 1] : nil
            let two = next == UInt8(ascii: "=") && (bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "="))
            if two || bytes[i] == UInt8(ascii: "=") {
                let field = String(decoding: bytes[..<i], as: UTF8.self)
                let value = String(decoding: bytes[(i + (two ? 2 : 1))...], as: UTF8.self)
                return (field, bytes[i] == UInt8(ascii: "!") ? .notEquals : .equals, value)
            }
        }
        return nil
    }

    /// `fields.UnescapeValue`.
    static func unescape(_ raw: String) throws(SelectorParseError) -> String {
        if !raw.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "=") }) {
            return raw
        }
        var out = String.UnicodeScalarView()
        var escaped = false
        for c in raw.unicodeScalars {
            if escaped {
                guard c == "\\" || c == "," || c == "=" else {
                    throw SelectorParseError("invalid field selector: invalid escape sequence: \\" + String(c))
                }
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "," || c == "=" {
                throw SelectorParseError("invalid field selector: unescaped character in value: \(c.value)")
            } else {
                out.append(c)
            }
        }
        if escaped { throw SelectorParseError("invalid field selector: invalid escape sequence: \\") }
        return String(out)
    }
}
