import Testing
@testable import SkiffModel

@Suite struct FieldSelectorTests {
    /// Input and Kubernetes' `String()` (terms sorted as strings, `==` printed as `=`).
    @Test(arguments: [
        ("", ""),
        (",", ""),
        ("a=b", "a=b"),
        ("metadata.name==x", "metadata.name=x"),
        ("c!=d,a=b", "a=b,c!=d"),
        ("spec.nodeName=,status.phase!=Running", "spec.nodeName=,status.phase!=Running"),
        ("a=b\\,c", "a=b,c"),
        ("a=x\\=y\\\\z", "a=x=y\\z"),
        ("a>=1", "a>=1"),
        ("a=!b", "a=!b"),
    ])
    func parsesAndPrints(input: String, printed: String) throws {
        let selector = try FieldSelector.parse(input)
        #expect(selector.description == printed)
        #expect(selector.isEverything == printed.isEmpty)
    }

    @Test func keepsOperatorsAndValues() throws {
        let s = try FieldSelector.parse("b==2,a!=1,c=x\\,y")
        #expect(s.requirements == [
            .init(field: "a", op: .notEquals, value: "1"),
            .init(field: "b", op: .equals, value: "2"),
            .init(field: "c", op: .equals, value: "x,y"),
        ])
        #expect(s.fieldNames == ["a", "b", "c"])
        #expect(s.requiresExactMatch("b") == "2")
        #expect(s.requiresExactMatch("a") == nil)
    }

    /// Input and Kubernetes' error message.
    @Test(arguments: [
        ("a", "invalid selector: 'a'; can't understand 'a'"),
        ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
        ("status.phase in (Running)", "invalid selector: 'status.phase in (Running)'; can't understand 'status.phase in (Running)'"),
        ("metadata.name in (a,b)", "invalid selector: 'metadata.name in (a,b)'; can't understand 'b)'"),
        ("a>1", "invalid selector: 'a>1'; can't understand 'a>1'"),
        ("!a", "invalid selector: '!a'; can't understand '!a'"),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
        ("a=b\\x", "invalid field selector: invalid escape sequence: \\x"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
    ])
    func rejectsAsKubernetes(input: String, message: String) {
        #expect(throws: SelectorParseError(message)) { try FieldSelector.parse(input) }
    }

    /// Selector, fields, expected match; a missing field is the empty string.
    @Test(arguments: [
        ("a=b", ["a": "b"], true), ("a=b", ["a": "c"], false), ("a=b", [:], false),
        ("a=", [:], true), ("a!=b", [:], true), ("a!=b", ["a": "b"], false),
        ("metadata.name=x,metadata.namespace=y", ["metadata.name": "x", "metadata.namespace": "y"], true),
        ("metadata.name=x,metadata.namespace=y", ["metadata.name": "x", "metadata.namespace": "z"], false),
        ("a=b\\,c", ["a": "b,c"], true),
        ("", [:], true),
    ] as [(String, [String: String], Bool)])
    func matches(selector: String, fields: [String: String], expected: Bool) throws {
        #expect(try FieldSelector.parse(selector).matches(fields) == expected)
    }

    @Test func combinesAndChecksSupportedFields() throws {
        let user = try FieldSelector.parse("status.phase=Running")
        let both = user.and(.name("web-0"))
        #expect(both.description == "status.phase=Running,metadata.name=web-0")
        #expect(both.matches(["status.phase": "Running", "metadata.name": "web-0"]))
        #expect(!both.matches(["status.phase": "Running", "metadata.name": "web-1"]))

        let supported: Set = ["metadata.name", "metadata.namespace", "status.phase"]
        try both.checkSupported(supported)
        let bad = try FieldSelector.parse("spec.foo=1,metadata.name=x")
        #expect(throws: SelectorParseError("field label not supported: spec.foo")) { try bad.checkSupported(supported) }
        #expect(throws: SelectorParseError("\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")) {
            try bad.checkSupported(["metadata.name", "metadata.namespace"], defaultConversion: true)
        }
    }

    @Test(arguments: ["plain", "a,b", "x=y", "back\\slash", "all\\,=,=\\"])
    func escapeRoundTrips(value: String) throws {
        let s = try FieldSelector.parse("f=" + FieldSelector.escape(value))
        #expect(s.requirements == [.init(field: "f", op: .equals, value: value)])
    }
}
