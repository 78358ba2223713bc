/// The string syntax of label selectors, parsed as apimachinery's `labels.Parse` does, with its
/// error messages:
///
///     selector    ::= requirement ("," requirement)*
///     requirement ::= ["!"] KEY [ ("in" | "notin") "(" VALUE ("," VALUE)* ")"
///                               | ("=" | "==" | "!=" | ">" | "<") VALUE ]
///
/// Blanks (space, tab, CR, LF) separate tokens. A bare `KEY` means exists, `!KEY` does not exist;
/// `()` and empty list items stand for the empty value. Keys must be qualified names, values
/// label values, and `>`/`<` values integers.
extension LabelSelector {
    /// Parses `text`; the empty string is `everything`.
    ///
    /// Errors read as Kubernetes': `unable to parse requirement: <nil>: Invalid value: "a b": ...`,
    /// `found ',', expected: identifier after ','`, `found 'x', expected: in, notin, =, ==, !=, gt, lt`.
    public static func parse(_ text: String) throws(SelectorParseError) -> LabelSelector {
        var parser = LabelSelectorParser(items: LabelSelectorLexer.scan(Array(text.utf8)))
        return LabelSelector(requirements: try parser.parse())
    }
}

enum LabelToken: Equatable {
    case end, closedPar, comma, doesNotExist, doubleEquals, equals, greaterThan, identifier, `in`, lessThan,
         notEquals, notIn, openPar
}

/// Splits a selector into tokens, as apimachinery's `labels.Lexer`.
enum LabelSelectorLexer {
    static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }

    static func isSpecial(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
             UInt8(ascii: ">"), UInt8(ascii: "<"): return true
        default: return false
        }
    }

    static func scan(_ s: [UInt8]) -> [(token: LabelToken, literal: String)] {
        var items: [(token: LabelToken, literal: String)] = []
        var i = 0
        while true {
            while i < s.count, isBlank(s[i]) { i += 1 }
            guard i < s.count else {
                items.append((.end, ""))
                return items
            }
            let c = s[i]
            if isSpecial(c) {
                let next: UInt8? = i + 1 < s.count ? s[i + 1] : nil
                if c == UInt8(ascii: "!"), next == UInt8(ascii: "=") {
                    items.append((.notEquals, "!=")); i += 2
                } else if c == UInt8(ascii: "="), next == UInt8(ascii: "=") {
                    items.append((.doubleEquals, "==")); i += 2
                } else {
                    let token: LabelToken
                    switch c {
                    case UInt8(ascii: "="): token = .equals
                    case UInt8(ascii: "!"): token = .doesNotExist
                    case UInt8(ascii: "("): token = .openPar
                    case UInt8(ascii: ")"): token = .closedPar
                    case UInt8(ascii: ","): token = .comma
                    case UInt8(ascii: ">"): token = .greaterThan
                    default: token = .lessThan
                    }
                    items.append((token, String(decoding: [c], as: UTF8.self))); i += 1
                }
                continue
            }
            let start = i
            while i < s.count, !isSpecial(s[i]), !isBlank(s[i]) { i += 1 }
            let literal = String(decoding: s[start..<i], as: UTF8.self)
            items.append((literal == "in" ? .in : literal == "notin" ? .notIn : .identifier, literal))
        }
    }
}

/// apimachinery's recursive-descent `labels.Parser`, error for error.
struct LabelSelectorParser {
    let items: [(token: LabelToken, literal: String)]
    var position = 0

    init(items: [(token: LabelToken, literal: String)]) { self.items = items }

    /// The next token; in value position the keywords `in` and `notin` are plain identifiers.
    func lookahead(values: Bool = true) -> (LabelToken, String) {
        let item = items[position]
        if values && (item.token == .in || item.token == .notIn) { return (.identifier, item.literal) }
        return (item.token, item.literal)
    }

    mutating func consume(values: Bool = true) -> (LabelToken, String) {
        let item = lookahead(values: values)
        position += 1
        return item
    }

    mutating func parse() throws(SelectorParseError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let (token, literal) = lookahead()
            switch token {
            case .identifier, .doesNotExist:
                let requirement: LabelSelector.Requirement
                do { requirement = try parseRequirement() } catch {
                    throw SelectorParseError("unable to parse requirement: " + error.message)
                }
                requirements.append(requirement)
                let (t, l) = consume()
                switch t {
                case .end:
                    return requirements
                case .comma:
                    let (t2, l2) = lookahead()
                    if t2 != .identifier && t2 != .doesNotExist {
                        throw SelectorParseError("found '\(l2)', expected: identifier after ','")
                    }
                default:
                    throw SelectorParseError("found '\(l)', expected: ',' or 'end of string'")
                }
            case .end:
                return requirements
            default:
                throw SelectorParseError("found '\(literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    mutating func parseRequirement() throws(SelectorParseError) -> LabelSelector.Requirement {
        var (token, key) = consume()
        var inferred: LabelSelector.Operator?
        if token == .doesNotExist {
            inferred = .doesNotExist
            (token, key) = consume()
        }
        guard token == .identifier else { throw SelectorParseError("found '\(key)', expected: identifier") }
        let keyErrors = NameValidation.qualifiedName(key)
        if !keyErrors.isEmpty {
            throw SelectorParseError("<nil>: Invalid value: \(goQuoted(key)): " + keyErrors.joined(separator: "; "))
        }
        let (next, _) = lookahead()
        if (next == .end || next == .comma) && inferred == nil { inferred = .exists }
        if let inferred { return LabelSelector.Requirement(key: key, op: inferred) }

        let (opToken, opLiteral) = consume(values: false)
        let op: LabelSelector.Operator
        switch opToken {
        case .in: op = .in
        case .equals: op = .equals
        case .doubleEquals: op = .doubleEquals
        case .greaterThan: op = .greaterThan
        case .lessThan: op = .lessThan
        case .notIn: op = .notIn
        case .notEquals: op = .notEquals
        default: throw SelectorParseError("found '\(opLiteral)', expected: in, notin, =, ==, !=, gt, lt")
        }
        var values = (op == .in || op == .notIn) ? try parseValues() : try parseExactValue()
        values = Array(Set(values)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        try LabelSelectorParser.checkValues(key: key, op: op, values)
        return LabelSelector.Requirement(key: key, op: op, values: values)
    }

    /// `( values )`; `()` is the one empty value.
    mutating func parseValues() throws(SelectorParseError) -> [String] {
        let (token, literal) = consume()
        guard token == .openPar else { throw SelectorParseError("found '\(literal)' expected: '('") }
        let (next, nextLiteral) = lookahead()
        switch next {
        case .identifier, .comma:
            let values = try parseIdentifiersList()
            if consume().0 != .closedPar { throw SelectorParseError("found '\(nextLiteral)', expected: ')'") }
            return values
        case .closedPar:
            _ = consume()
            return [""]
        default:
            throw SelectorParseError("found '\(nextLiteral)', expected: ',', ')' or identifier")
        }
    }

    /// A comma-separated list in which empty items are the empty value (`(,a)`, `(a,,b)`).
    mutating func parseIdentifiersList() throws(SelectorParseError) -> [String] {
        var values: [String] = []
        while true {
            let (token, literal) = consume()
            switch token {
            case .identifier:
                values.append(literal)
                let (next, nextLiteral) = lookahead()
                switch next {
                case .comma: continue
                case .closedPar: return values
                default: throw SelectorParseError("found '\(nextLiteral)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.append("") }
                let (next, _) = lookahead()
                if next == .closedPar {
                    values.append("")
                    return values
                }
                if next == .comma {
                    _ = consume()
                    values.append("")
                }
            default:
                throw SelectorParseError("found '\(literal)', expected: ',', or identifier")
            }
        }
    }

    /// The value after `=`, `==`, `!=`, `>`, `<`; nothing before `,` or the end is the empty value.
    mutating func parseExactValue() throws(SelectorParseError) -> [String] {
        let (next, _) = lookahead()
        if next == .end || next == .comma { return [""] }
        let (token, literal) = consume()
        guard token == .identifier else { throw SelectorParseError("found '\(literal)', expected: identifier") }
        return [literal]
    }

    /// `labels.NewRequirement`'s value checks, with its aggregated field-error wording.
    static func checkValues(key: String, op: LabelSelector.Operator, _ values: [String]) throws(SelectorParseError) {
        var errors: [String] = []
        for (i, value) in values.enumerated() {
            if (op == .greaterThan || op == .lessThan) && Int64(value) == nil {
                errors.append("values[\(i)]: Invalid value: \(goQuoted(value)): for 'Gt', 'Lt' operators, the value must be an integer")
            }
        }
        for (i, value) in values.enumerated() {
            let messages = NameValidation.labelValue(value)
            if !messages.isEmpty {
                errors.append("values[\(i)][\(key)]: Invalid value: \(goQuoted(value)): " + messages.joined(separator: "; "))
            }
        }
        var unique: [String] = []
        for e in errors where !unique.contains(e) { unique.append(e) }
        if unique.count == 1 { throw SelectorParseError(unique[0]) }
        if unique.count > 1 { throw SelectorParseError("[" + unique.joined(separator: ", ") + "]") }
    }
}

/// A string as Go's `%q` prints it: in double quotes, with `"`, `\` and control characters escaped.
func goQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{0B}": out += "\\v"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
