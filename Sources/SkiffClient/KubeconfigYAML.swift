import SkiffModel

/// Reads the YAML subset kubeconfig files are written in (by kubectl, client-go and Skiff) into
/// `JSON`: block mappings and sequences by indentation, `- key: value` items, plain, single- and
/// double-quoted scalars, `#` comments, and the empty flow collections `{}` and `[]`. A document
/// that starts with `{` is parsed as JSON. Anchors, tags, multi-line scalars and other flow
/// collections are refused.
enum KubeconfigYAML {
    struct Line {
        var indent: Int
        var text: Substring
        var number: Int
    }

    static func parse(_ text: String) throws(ClientError) -> JSON {
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        if trimmed.first == "{" {
            do { return try JSON.parse(text) } catch { throw ClientError(.invalidConfiguration, "kubeconfig: \(error)") }
        }
        var lines: [Line] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var s = raw
            if s.last == "\r" { s = s.dropLast() }
            let content = stripComment(s)
            let indent = content.prefix { $0 == " " }.count
            let body = content.dropFirst(indent)
            if body.allSatisfy({ $0 == " " || $0 == "\t" }) || body == "---" { continue }
            if body.hasPrefix("\t") { throw error(i, "tabs are not allowed for indentation") }
            lines.append(Line(indent: indent, text: body, number: i + 1))
        }
        var index = 0
        guard !lines.isEmpty else { return .object([:]) }
        let value = try parseNode(&lines, &index, indent: lines[0].indent)
        if index < lines.count { throw error(lines[index].number - 1, "unexpected indentation") }
        return value
    }

    /// A block node whose lines start at `indent`.
    static func parseNode(_ lines: inout [Line], _ i: inout Int, indent: Int) throws(ClientError) -> JSON {
        if lines[i].text.hasPrefix("- ") || lines[i].text == "-" {
            return try parseSequence(&lines, &i, indent: indent)
        }
        return try parseMapping(&lines, &i, indent: indent)
    }

    static func parseSequence(_ lines: inout [Line], _ i: inout Int, indent: Int) throws(ClientError) -> JSON {
        var items: [JSON] = []
        while i < lines.count, lines[i].indent == indent, lines[i].text.hasPrefix("-") {
            let line = lines[i]
            let rest = line.text.dropFirst().drop { $0 == " " }
            if rest.isEmpty {
                i += 1
                if i < lines.count, lines[i].indent > indent {
                    items.append(try parseNode(&lines, &i, indent: lines[i].indent))
                } else {
                    items.append(.null)
                }
                continue
            }
            if splitKey(rest) != nil {
                // `- key: value` opens a mapping whose keys are indented to the column after "- ".
                let column = indent + (line.text.count - rest.count)
                lines[i] = Line(indent: column, text: rest, number: line.number)
                items.append(try parseMapping(&lines, &i, indent: column))
            } else {
                items.append(try scalar(rest, line: line.number))
                i += 1
            }
        }
        return .array(items)
    }

    static func parseMapping(_ lines: inout [Line], _ i: inout Int, indent: Int) throws(ClientError) -> JSON {
        var members: [String: JSON] = [:]
        while i < lines.count, lines[i].indent == indent {
            let line = lines[i]
            if line.text.hasPrefix("- ") { break }
            guard let (key, rest) = splitKey(line.text) else { throw error(line.number - 1, "expected `key: value`") }
            i += 1
            if !rest.isEmpty {
                members[key] = try scalar(rest, line: line.number)
            } else if i < lines.count, lines[i].indent > indent {
                members[key] = try parseNode(&lines, &i, indent: lines[i].indent)
            } else if i < lines.count, lines[i].indent == indent, lines[i].text.hasPrefix("-") {
                // A sequence may sit at the same indentation as its key (kubectl writes it so).
                members[key] = try parseSequence(&lines, &i, indent: indent)
            } else {
                members[key] = .null
            }
        }
        return .object(members)
    }

    /// `key: rest` (rest without leading spaces), or nil if the line has no mapping key.
    static func splitKey(_ s: Substring) -> (String, Substring)? {
        if s.first == "\"" || s.first == "'" {
            guard let close = s.dropFirst().firstIndex(of: s.first!) else { return nil }
            let after = s[s.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            let key = (try? scalar(s[...close], line: 0))?.string ?? ""
            return (key, after.dropFirst().drop { $0 == " " })
        }
        var idx = s.startIndex
        while let colon = s[idx...].firstIndex(of: ":") {
            let next = s.index(after: colon)
            if next == s.endIndex || s[next] == " " {
                return (String(s[..<colon]).trimmingSpaces, s[next...].drop { $0 == " " })
            }
            idx = next
        }
        return nil
    }

    static func scalar(_ s: Substring, line: Int) throws(ClientError) -> JSON {
        let t = String(s).trimmingSpaces
        if t.hasPrefix("\"") {
            guard t.count >= 2, t.hasSuffix("\"") else { throw error(line - 1, "unterminated string") }
            do { return try JSON.parse(t) } catch { throw ClientError(.invalidConfiguration, "kubeconfig line \(line): \(error)") }
        }
        if t.hasPrefix("'") {
            guard t.count >= 2, t.hasSuffix("'") else { throw error(line - 1, "unterminated string") }
            return .string(String(t.dropFirst().dropLast()).replacingOccurrences("''", "'"))
        }
        switch t {
        case "{}": return .object([:])
        case "[]": return .array([])
        case "null", "~", "": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if t.first == "{" || t.first == "[" || t.first == "&" || t.first == "*" || t.first == "!" || t.first == "|" || t.first == ">" {
            throw error(line - 1, "unsupported YAML construct")
        }
        if let n = Int64(t) { return .int(n) }
        return .string(t)
    }

    /// The line without a trailing `# comment` (a `#` outside quotes, at the start or after a space).
    static func stripComment(_ s: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for idx in s.indices {
            let c = s[idx]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" && (previous == " " || previous == "\t") {
                return s[..<idx]
            }
            previous = c
        }
        return s
    }

    static func error(_ index: Int, _ message: String) -> ClientError {
        ClientError(.invalidConfiguration, "kubeconfig line \(index + 1): \(message)")
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }

    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
