/// Kubernetes' name and label-syntax rules (k8s.io/apimachinery/pkg/util/validation and
/// pkg/api/validation/path), as of Kubernetes 1.28.
///
/// Each check returns the messages Kubernetes gives for a value that breaks the rule, in
/// Kubernetes' order, or an empty array when the value is valid. Callers wrap them in
/// `FieldError.invalid(field, value, message)`, one error per message, as Kubernetes does.
/// Lengths are counted in UTF-8 bytes (Go's `len`). The checks scan bytes; no regular expressions.
public enum NameValidation {
    /// `must be no more than N characters` (`validation.MaxLenError`).
    public static func maxLengthMessage(_ n: Int) -> String { "must be no more than \(n) characters" }

    /// `must be non-empty` (`validation.EmptyError`).
    public static let emptyMessage = "must be non-empty"

    public static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    public static let dns1123SubdomainFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
    public static let dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?"
    public static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    public static let labelValueFormat = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
    public static let configMapKeyFormat = "[-._a-zA-Z0-9]+"

    /// `validation.RegexError`: the message, the examples and the regular expression.
    public static func regexMessage(_ message: String, _ format: String, _ examples: String...) -> String {
        if examples.isEmpty { return message + " (regex used for validation is '" + format + "')" }
        return message + " (e.g. " + examples.map { "'\($0)', " }.joined(separator: " or ")
            + "regex used for validation is '" + format + "')"
    }

    static let dns1123LabelMessage = regexMessage(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        dns1123LabelFormat, "my-name", "123-abc")
    static let dns1123SubdomainMessage = regexMessage(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFormat, "example.com")
    static let dns1035LabelMessage = regexMessage(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFormat, "my-name", "abc-123")
    static let qualifiedNameMessage = regexMessage(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        qualifiedNameFormat, "MyName", "my.name", "123-abc")
    static let labelValueMessage = regexMessage(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValueFormat, "MyValue", "my_value", "12345")
    static let configMapKeyMessage = regexMessage(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        configMapKeyFormat, "key.name", "KEY_NAME", "key-name")

    // MARK: DNS names

    /// `IsDNS1123Label`: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 bytes (namespace names,
    /// container names, most label-like names).
    public static func dns1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append(maxLengthMessage(63)) }
        if !isDNSLabel(value.utf8[...], alphaStart: false) { errors.append(dns1123LabelMessage) }
        return errors
    }

    /// `IsDNS1123Subdomain`: dot-separated DNS-1123 labels, at most 253 bytes (the default rule
    /// for object names).
    public static func dns1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 253 { errors.append(maxLengthMessage(253)) }
        if !isDNSSubdomain(value.utf8[...]) { errors.append(dns1123SubdomainMessage) }
        return errors
    }

    /// `IsDNS1035Label`: `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 bytes (Service names).
    public static func dns1035Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append(maxLengthMessage(63)) }
        if !isDNSLabel(value.utf8[...], alphaStart: true) { errors.append(dns1035LabelMessage) }
        return errors
    }

    // MARK: Qualified names and label values

    /// `IsQualifiedName`: label and annotation keys, finalizers. An optional DNS-1123 subdomain
    /// prefix and `/`, then a name part of at most 63 bytes matching `qualifiedNameFormat`.
    public static func qualifiedName(_ value: String) -> [String] {
        let bytes = value.utf8
        let slashes = bytes.lazy.filter { $0 == slash }.count
        var errors: [String] = []
        let name: Substring.UTF8View
        switch slashes {
        case 0:
            name = value[...].utf8
        case 1:
            let cut = bytes.firstIndex(of: slash)!
            let prefix = value[..<cut]
            name = value[value.utf8.index(after: cut)...].utf8
            if prefix.isEmpty {
                errors.append("prefix part " + emptyMessage)
            } else {
                errors += dns1123Subdomain(String(prefix)).map { "prefix part " + $0 }
            }
        default:
            return ["a qualified name " + qualifiedNameMessage
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            errors.append("name part " + emptyMessage)
        } else if name.count > 63 {
            errors.append("name part " + maxLengthMessage(63))
        }
        if !isQualifiedNamePart(name) { errors.append("name part " + qualifiedNameMessage) }
        return errors
    }

    /// `IsValidLabelValue`: empty, or at most 63 bytes matching the name-part rule.
    public static func labelValue(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = value.utf8
        if bytes.count > 63 { errors.append(maxLengthMessage(63)) }
        if !bytes.isEmpty && !isQualifiedNamePart(value[...].utf8) { errors.append(labelValueMessage) }
        return errors
    }

    // MARK: Other names

    /// `IsValidPathSegmentName`: every object name must be usable as one URL path segment:
    /// not `.` or `..`, and without `/` or `%`.
    public static func pathSegmentName(_ value: String) -> [String] {
        if value == "." || value == ".." { return ["may not be '\(value)'"] }
        var errors: [String] = []
        if value.utf8.contains(slash) { errors.append("may not contain '/'") }
        if value.utf8.contains(UInt8(ascii: "%")) { errors.append("may not contain '%'") }
        return errors
    }

    /// `IsConfigMapKey`: ConfigMap and Secret data keys: `[-._a-zA-Z0-9]+`, at most 253 bytes,
    /// and not `.`, `..` or starting with `..`.
    public static func configMapKey(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = value.utf8
        if bytes.count > 253 { errors.append(maxLengthMessage(253)) }
        if bytes.isEmpty || !bytes.allSatisfy({ isAlphanumeric($0) || $0 == dash || $0 == underscore || $0 == dot }) {
            errors.append(configMapKeyMessage)
        }
        if value == "." {
            errors.append("must not be '.'")
        } else if value == ".." {
            errors.append("must not be '..'")
        } else if value.hasPrefix("..") {
            errors.append("must not start with '..'")
        }
        return errors
    }

    // MARK: Scanners

    static let slash = UInt8(ascii: "/"), dash = UInt8(ascii: "-"), dot = UInt8(ascii: "."), underscore = UInt8(ascii: "_")

    static func isLowerAlphanumeric(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    static func isAlphanumeric(_ c: UInt8) -> Bool {
        isLowerAlphanumeric(c) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    /// One DNS label: lower-case alphanumerics and `-`, alphanumeric at both ends (a letter first
    /// when `alphaStart`).
    static func isDNSLabel<C: Collection<UInt8>>(_ bytes: C, alphaStart: Bool) -> Bool {
        guard let first = bytes.first else { return false }
        var last = first
        for c in bytes {
            guard isLowerAlphanumeric(c) || c == dash else { return false }
            last = c
        }
        let firstOK = alphaStart ? (first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z")) : isLowerAlphanumeric(first)
        return firstOK && isLowerAlphanumeric(last)
    }

    static func isDNSSubdomain(_ bytes: Substring.UTF8View) -> Bool {
        !bytes.isEmpty && bytes.split(separator: dot, omittingEmptySubsequences: false)
            .allSatisfy { isDNSLabel($0, alphaStart: false) }
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    static func isQualifiedNamePart(_ bytes: Substring.UTF8View) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == dash || $0 == underscore || $0 == dot }
    }
}
