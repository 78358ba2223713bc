import Testing
@testable import SkiffModel

/// Kubernetes 1.28's messages, spelled out so any drift in wording shows.
enum NameMessages {
    static let label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let namePart = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let qualifiedSlashes = "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    static let labelValue = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    static let configKey = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
}

@Suite struct NameValidationTests {
    static let long64 = String(repeating: "a", count: 64)

    @Test(arguments: [
        ("my-name", [String]()), ("123-abc", []), ("a", []), (String(repeating: "a", count: 63), []),
        ("", [NameMessages.label]), ("My-Name", [NameMessages.label]), ("-a", [NameMessages.label]),
        ("a-", [NameMessages.label]), ("a.b", [NameMessages.label]), ("a_b", [NameMessages.label]),
        (long64, ["must be no more than 63 characters"]),
        (long64 + "-", ["must be no more than 63 characters", NameMessages.label]),
    ])
    func dns1123Label(name: String, expected: [String]) {
        #expect(NameValidation.dns1123Label(name) == expected)
    }

    @Test(arguments: [
        ("example.com", [String]()), ("a", []), ("a-b.c-d.e", []), ("1.2.3", []),
        ("", [NameMessages.subdomain]), ("Example.com", [NameMessages.subdomain]), ("a..b", [NameMessages.subdomain]),
        (".a", [NameMessages.subdomain]), ("a.", [NameMessages.subdomain]), ("a.-b", [NameMessages.subdomain]),
        ("my_pod", [NameMessages.subdomain]), (String(repeating: "a", count: 253), []),
        (String(repeating: "a", count: 254), ["must be no more than 253 characters"]),
    ])
    func dns1123Subdomain(name: String, expected: [String]) {
        #expect(NameValidation.dns1123Subdomain(name) == expected)
    }

    @Test(arguments: [
        ("my-name", [String]()), ("abc-123", []), ("a", []),
        ("1abc", [NameMessages.dns1035]), ("", [NameMessages.dns1035]), ("a.b", [NameMessages.dns1035]),
        ("abc-", [NameMessages.dns1035]), (long64, ["must be no more than 63 characters"]),
    ])
    func dns1035Label(name: String, expected: [String]) {
        #expect(NameValidation.dns1035Label(name) == expected)
    }

    @Test(arguments: [
        ("app", [String]()), ("App.Name_1-x", []), ("example.com/app", []), ("kubernetes.io/metadata.name", []),
        ("a/b/c", [NameMessages.qualifiedSlashes]),
        ("/a", ["prefix part must be non-empty"]),
        ("a/", ["name part must be non-empty", NameMessages.namePart]),
        ("", ["name part must be non-empty", NameMessages.namePart]),
        ("Example.com/app", ["prefix part " + NameMessages.subdomain]),
        ("app:monolith", [NameMessages.namePart]), ("-app", [NameMessages.namePart]),
        (long64, ["name part must be no more than 63 characters"]),
        ("x/" + long64, ["name part must be no more than 63 characters"]),
    ])
    func qualifiedName(name: String, expected: [String]) {
        #expect(NameValidation.qualifiedName(name) == expected)
    }

    @Test(arguments: [
        ("", [String]()), ("MyValue", []), ("my_value", []), ("1.2-3", []),
        ("a b", [NameMessages.labelValue]), ("-a", [NameMessages.labelValue]), ("a/b", [NameMessages.labelValue]),
        (long64, ["must be no more than 63 characters"]),
    ])
    func labelValue(value: String, expected: [String]) {
        #expect(NameValidation.labelValue(value) == expected)
    }

    @Test(arguments: [
        ("pod-1", [String]()), ("Upper_and.dots", []), ("..a", []),
        (".", ["may not be '.'"]), ("..", ["may not be '..'"]),
        ("a/b", ["may not contain '/'"]), ("a%b", ["may not contain '%'"]),
        ("a/%", ["may not contain '/'", "may not contain '%'"]),
    ])
    func pathSegmentName(name: String, expected: [String]) {
        #expect(NameValidation.pathSegmentName(name) == expected)
    }

    @Test(arguments: [
        ("key.name", [String]()), ("KEY_NAME", []), ("key-name", []), ("a..b", []),
        (".", ["must not be '.'"]), ("..", ["must not be '..'"]), ("..a", ["must not start with '..'"]),
        ("a b", [NameMessages.configKey]), ("", [NameMessages.configKey]), ("a/b", [NameMessages.configKey]),
        (String(repeating: "k", count: 254), ["must be no more than 253 characters"]),
    ])
    func configMapKey(key: String, expected: [String]) {
        #expect(NameValidation.configMapKey(key) == expected)
    }

    @Test func validateLabelsReportsKeysAndValuesInKeyOrder() {
        let labels: JSON = ["zz": "fine", "ok": "bad value", "a b": "x", "n": 3]
        let errors = NameValidation.validateLabels(labels, field: "metadata.labels")
        #expect(errors.map(\.description) == [
            "metadata.labels: Invalid value: \"a b\": " + NameMessages.namePart,
            "metadata.labels: Invalid value: \"bad value\": " + NameMessages.labelValue,
        ])
        #expect(NameValidation.validateLabels(["app": "web", "example.com/tier": ""], field: "metadata.labels").isEmpty)
    }

    @Test func validateAnnotationsChecksLowerCasedKeysAndTotalSize() {
        #expect(NameValidation.validateAnnotations(["Example.COM/Some_Key": "anything at all: {}"], field: "metadata.annotations").isEmpty)
        let bad = NameValidation.validateAnnotations(["a b": "x"], field: "metadata.annotations")
        #expect(bad.map(\.description) == ["metadata.annotations: Invalid value: \"a b\": " + NameMessages.namePart])

        let exactly: JSON = ["k": .string(String(repeating: "v", count: 262_143))]
        #expect(NameValidation.validateAnnotations(exactly, field: "metadata.annotations").isEmpty)
        let over: JSON = ["k": .string(String(repeating: "v", count: 262_144))]
        let errors = NameValidation.validateAnnotations(over, field: "metadata.annotations")
        #expect(errors.map(\.description) == ["metadata.annotations: Too long: must have at most 262144 bytes"])
        #expect(errors.first?.type == .tooLong)
    }
}
