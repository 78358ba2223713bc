import Testing
@testable import SkiffModel

@Suite struct LabelSelectorTests {
    /// Input and Kubernetes' `String()` of the parsed selector (requirements sorted by key).
    @Test(arguments: [
        ("", ""),
        ("a=b", "a=b"),
        ("a==b", "a==b"),
        ("a!=b", "a!=b"),
        ("c!=d,a=b", "a=b,c!=d"),
        ("e in (y,x),f notin (z),g,!h", "e in (x,y),f notin (z),g,!h"),
        ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
        ("x in (a,a,b)", "x in (a,b)"),
        ("  a  =  b  ,\tc\n", "a=b,c"),
        ("a=", "a="),
        ("a=,b", "a=,b"),
        ("x>1,y<2", "x>1,y<2"),
        ("in=notin", "in=notin"),
        ("a in (in,notin)", "a in (in,notin)"),
        ("example.com/app=web,kubernetes.io/metadata.name=default", "example.com/app=web,kubernetes.io/metadata.name=default"),
        ("!a,b", "!a,b"),
    ])
    func parsesAndPrints(input: String, printed: String) throws {
        let selector = try LabelSelector.parse(input)
        #expect(selector.description == printed)
        #expect(try LabelSelector.parse(printed) == selector)
        #expect(selector.isEverything == printed.isEmpty)
    }

    static let namePart = NameMessages.namePart

    /// Input and Kubernetes' error message.
    @Test(arguments: [
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a!", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"),
        ("a=b,", "found '', expected: identifier after ','"),
        ("a=b,,c", "found ',', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("!,a", "unable to parse requirement: found ',', expected: identifier"),
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
        ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("a in (,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
        ("app:monolith", "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": " + namePart),
        ("app.kubernetes_io/name=x",
         "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix part " + NameMessages.subdomain),
        ("a=b@c", "unable to parse requirement: values[0][a]: Invalid value: \"b@c\": " + NameMessages.labelValue),
        ("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer"),
        ("a>b@", "unable to parse requirement: [values[0]: Invalid value: \"b@\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: \"b@\": "
            + NameMessages.labelValue + "]"),
        ("a\"b=c", "unable to parse requirement: <nil>: Invalid value: \"a\\\"b\": " + namePart),
    ])
    func rejectsAsKubernetes(input: String, message: String) {
        #expect(throws: SelectorParseError(message)) { try LabelSelector.parse(input) }
    }

    /// Selector, labels, expected match.
    @Test(arguments: [
        ("a=b", ["a": "b"], true), ("a=b", ["a": "c"], false), ("a=b", [:], false),
        ("a==b", ["a": "b"], true),
        ("a!=b", [:], true), ("a!=b", ["a": "b"], false), ("a!=b", ["a": "c"], true),
        ("a in (x,y)", ["a": "y"], true), ("a in (x,y)", ["a": "z"], false), ("a in (x,y)", [:], false),
        ("a notin (x)", [:], true), ("a notin (x)", ["a": "x"], false), ("a notin (x)", ["a": "y"], true),
        ("a", ["a": ""], true), ("a", [:], false), ("!a", [:], true), ("!a", ["a": "x"], false),
        ("a>5", ["a": "6"], true), ("a>5", ["a": "5"], false), ("a>5", ["a": "x"], false), ("a>5", [:], false),
        ("a<5", ["a": "-1"], true), ("a<5", ["a": "+7"], false),
        ("a=,b", ["a": "", "b": "x"], true), ("a=,b", ["b": "x"], false),
        ("app=web,tier in (fe,be),!canary", ["app": "web", "tier": "be"], true),
        ("app=web,tier in (fe,be),!canary", ["app": "web", "tier": "be", "canary": "1"], false),
        ("", ["any": "thing"], true), ("", [:], true),
    ] as [(String, [String: String], Bool)])
    func matches(selector: String, labels: [String: String], expected: Bool) throws {
        #expect(try LabelSelector.parse(selector).matches(labels) == expected)
    }

    @Test func everythingAndNothing() throws {
        #expect(LabelSelector.everything.isEverything && LabelSelector.everything.matches([:]))
        #expect(!LabelSelector.nothing.isEverything && !LabelSelector.nothing.matches([:]))
        #expect(LabelSelector.nothing.description == "")
        let s = try LabelSelector.parse("a=b")
        #expect(!s.and(.nothing).matches(["a": "b"]))
        #expect(s.and(try LabelSelector.parse("c")).description == "a=b,c")
        #expect(try LabelSelector.parse("a in (x),b=y").requiresExactMatch("a") == "x")
        #expect(try LabelSelector.parse("a in (x,z)").requiresExactMatch("a") == nil)
        let fromMap = LabelSelector(equalTo: ["tier": "fe", "app": "web"])
        #expect(fromMap.description == "app=web,tier=fe")
        #expect(fromMap.matches(["app": "web", "tier": "fe", "x": "y"]) && !fromMap.matches(["app": "web"]))
        #expect(LabelSelector(equalTo: [:]).isEverything)
    }

    /// `metav1.LabelSelector` objects and the selector string they stand for.
    @Test(arguments: [
        (["matchLabels": ["app": "web"]] as JSON, "app=web"),
        (["matchLabels": ["tier": "fe", "app": "web"]], "app=web,tier=fe"),
        (["matchExpressions": [["key": "tier", "operator": "In", "values": ["b", "a"]]]], "tier in (a,b)"),
        (["matchExpressions": [["key": "tier", "operator": "NotIn", "values": ["a"]],
                               ["key": "canary", "operator": "DoesNotExist"],
                               ["key": "app", "operator": "Exists", "values": []]]], "app,!canary,tier notin (a)"),
        (["matchLabels": ["app": "web"], "matchExpressions": [["key": "app", "operator": "Exists"]]], "app=web,app"),
        ([:], ""),
        (["matchLabels": [:], "matchExpressions": []], ""),
    ] as [(JSON, String)])
    func fromObject(object: JSON, printed: String) throws {
        let selector = try LabelSelector.from(object).get()
        #expect(selector.description == printed)
        #expect(selector.isEverything == printed.isEmpty)
    }

    @Test func fromObjectMatches() throws {
        let object: JSON = ["matchLabels": ["app": "web"],
                            "matchExpressions": [["key": "env", "operator": "In", "values": ["prod", "staging"]]]]
        let s = try LabelSelector.from(object).get()
        #expect(s.matches(["app": "web", "env": "prod", "x": "y"]))
        #expect(!s.matches(["app": "web", "env": "dev"]))
        #expect(!s.matches(["env": "prod"]))
        let nothing = try LabelSelector.from(.null).get()
        #expect(nothing == .nothing && !nothing.matches([:]))
    }

    /// Invalid `metav1.LabelSelector` objects and Kubernetes' field errors (relative paths).
    @Test(arguments: [
        (["matchExpressions": [["key": "a", "operator": "In", "values": []]]] as JSON,
         ["matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]),
        (["matchExpressions": [["key": "a", "operator": "NotIn"]]],
         ["matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]),
        (["matchExpressions": [["key": "a", "operator": "Exists", "values": ["x"]]]],
         ["matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"]),
        (["matchExpressions": [["key": "a", "operator": "x"], ["key": "b", "operator": "Equals", "values": ["v"]]]],
         ["matchExpressions[0].operator: Invalid value: \"x\": not a valid selector operator",
          "matchExpressions[1].operator: Invalid value: \"Equals\": not a valid selector operator"]),
        (["matchExpressions": [["operator": "Exists"]]],
         ["matchExpressions[0].key: Invalid value: \"\": name part must be non-empty",
          "matchExpressions[0].key: Invalid value: \"\": " + NameMessages.namePart]),
        (["matchExpressions": [["key": "a", "operator": "In", "values": ["ok", "not ok"]]]],
         ["matchExpressions[0].values[1]: Invalid value: \"not ok\": " + NameMessages.labelValue]),
        (["matchLabels": ["a b": "c d"]],
         ["matchLabels: Invalid value: \"a b\": " + NameMessages.namePart,
          "matchLabels: Invalid value: \"c d\": " + NameMessages.labelValue]),
    ] as [(JSON, [String])])
    func fromObjectRejects(object: JSON, messages: [String]) {
        switch LabelSelector.from(object) {
        case .success(let s): Issue.record("accepted as \(s)")
        case .failure(let e): #expect(e.errors.map(\.description) == messages)
        }
        #expect(LabelSelector.validate(object).map(\.description) == messages)
    }

    @Test func invalidValuesCanBeAllowed() throws {
        let object: JSON = ["matchExpressions": [["key": "a", "operator": "In", "values": ["not ok"]]]]
        let s = try LabelSelector.from(object, allowInvalidLabelValues: true).get()
        #expect(s.matches(["a": "not ok"]))
    }

    @Test func aParsedSelectorMatchesTheSameEveryTime() throws {
        let selector = try LabelSelector.parse("app=web,tier in (fe,be),!canary,env!=dev")
        let labels = ["app": "web", "tier": "fe", "env": "prod", "pod-template-hash": "abc123"]
        var hits = 0
        for _ in 0..<1_000 where selector.matches(labels) { hits += 1 }
        #expect(hits == 1_000)
        #expect(!selector.matches(labels.merging(["canary": "1"]) { a, _ in a }))
    }
}
