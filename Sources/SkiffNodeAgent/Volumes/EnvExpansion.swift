/// Kubernetes' `$(VAR)` expansion for container `command`, `args`, `env` values and
/// `subPathExpr` (k8s.io/kubernetes third_party/forked/golang/expansion).
///
/// Rules: `$(NAME)` is replaced by the mapping's value for NAME; `$$` is an escaped `$`
/// (so `$$(NAME)` yields the literal `$(NAME)`); a `$` followed by anything else, an
/// unterminated `$(`, and a trailing `$` are kept as they are. Expansion is not recursive: a
/// value that itself contains `$(X)` is inserted unchanged.
///
///     EnvExpansion.expand("$(A)-$$(A)", lookup: ["A": "x"])   // "x-$(A)"
public enum EnvExpansion {
    /// Expands `input`; `mapping` returns the replacement for a variable name.
    public static func expand(_ input: String, mapping: (String) -> String) -> String {
        let bytes = Array(input.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var checkpoint = 0
        var cursor = 0
        while cursor < bytes.count {
            if bytes[cursor] == dollar && cursor + 1 < bytes.count {
                out += bytes[checkpoint..<cursor]
                let (read, isVariable, advance) = readVariableName(bytes[(cursor + 1)...])
                if isVariable {
                    out += Array(mapping(String(decoding: read, as: UTF8.self)).utf8)
                } else {
                    out += read
                }
                cursor += advance
                checkpoint = cursor + 1
            }
            cursor += 1
        }
        out += bytes[checkpoint...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Expands with the first of `contexts` that defines a name; an undefined name is kept
    /// as `$(NAME)` (the kubelet's `MappingFuncFor`).
    public static func expand(_ input: String, contexts: [[String: String]]) -> String {
        expand(input) { name in
            for vars in contexts { if let v = vars[name] { return v } }
            return "$(\(name))"
        }
    }

    /// Expands with one lookup table; undefined names are kept as `$(NAME)`.
    public static func expand(_ input: String, lookup: [String: String]) -> String {
        expand(input, contexts: [lookup])
    }

    /// A container's environment in order, each value expanded against the variables defined
    /// before it (and then `fallback`, e.g. Service variables), as the kubelet builds it.
    public static func expandEnvironment(_ env: [(String, String)], fallback: [String: String] = [:]) -> [(String, String)] {
        var defined: [String: String] = [:]
        var out: [(String, String)] = []
        for (name, value) in env {
            let expanded = expand(value, contexts: [defined, fallback])
            defined[name] = expanded
            out.append((name, expanded))
        }
        return out
    }

    /// `subPathExpr` expansion: every referenced variable must be set and non-empty, else the
    /// kubelet's "missing value for A, B" error.
    public static func expandSubPath(_ expr: String, env: [String: String]) throws(VolumeError) -> String {
        var missing = Set<String>()
        let out = expand(expr) { name in
            let v = env[name] ?? ""
            if v.isEmpty { missing.insert(name) }
            return v
        }
        if !missing.isEmpty {
            throw VolumeError(.invalidMount, "missing value for \(missing.sorted().joined(separator: ", "))")
        }
        return out
    }

    static let dollar = UInt8(ascii: "$")
    static let open = UInt8(ascii: "(")
    static let close = UInt8(ascii: ")")

    /// What follows a `$`: (bytes to emit or the variable name, whether it is a name,
    /// how many bytes after the `$` were consumed).
    static func readVariableName(_ input: ArraySlice<UInt8>) -> ([UInt8], Bool, Int) {
        let start = input.startIndex
        switch input[start] {
        case dollar:
            return ([dollar], false, 1)
        case open:
            var i = start + 1
            while i < input.endIndex {
                if input[i] == close { return (Array(input[(start + 1)..<i]), true, i - start + 1) }
                i += 1
            }
            return ([dollar, open], false, 1)
        default:
            return ([dollar, input[start]], false, 1)
        }
    }
}
