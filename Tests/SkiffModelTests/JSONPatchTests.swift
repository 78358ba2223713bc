import Testing
@testable import SkiffModel

private func json(_ text: String) -> JSON {
    do { return try JSON.parse(text) } catch { fatalError("bad fixture \(text): \(error)") }
}

private func applyPatch(_ doc: String, _ patch: String) throws(PatchError) -> JSON {
    try JSONPatch(decoding: json(patch)).apply(to: json(doc))
}

@Suite("JSONPatch")
struct JSONPatchTests {
    /// RFC 6902 appendix A, plus the leniencies of evanphx/json-patch v4 that Kubernetes accepts.
    @Test(arguments: [
        ("A.1 add object member", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        ("A.2 add array element", #"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        ("A.3 remove object member", #"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        ("A.4 remove array element", #"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        ("A.5 replace value", #"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        ("A.6 move value", #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
         #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#, #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        ("A.7 move array element", #"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
         #"{"foo":["all","cows","eat","grass"]}"#),
        ("A.8 test success", #"{"baz":"qux","foo":["a",2,"c"]}"#,
         #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#, #"{"baz":"qux","foo":["a",2,"c"]}"#),
        ("A.10 add nested member", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
         #"{"foo":"bar","child":{"grandchild":{}}}"#),
        ("A.11 ignore unrecognized members", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#,
         #"{"foo":"bar","baz":"qux"}"#),
        ("A.14 escape ordering", #"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        ("A.16 add array value", #"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#,
         #"{"foo":["bar",["abc","def"]]}"#),
        ("~1 names a slash", #"{"metadata":{"labels":{}}}"#, #"[{"op":"add","path":"/metadata/labels/app.kubernetes.io~1name","value":"web"}]"#,
         #"{"metadata":{"labels":{"app.kubernetes.io/name":"web"}}}"#),
        ("copy", #"{"a":{"b":[1]}}"#, #"[{"op":"copy","from":"/a/b","path":"/c"}]"#, #"{"a":{"b":[1]},"c":[1]}"#),
        ("add replaces an existing member", #"{"a":1}"#, #"[{"op":"add","path":"/a","value":2}]"#, #"{"a":2}"#),
        ("replace the whole document", #"{"a":1}"#, #"[{"op":"replace","path":"","value":{"b":2}}]"#, #"{"b":2}"#),
        ("test the whole document", #"{"a":1}"#, #"[{"op":"test","path":"","value":{"a":1}}]"#, #"{"a":1}"#),
        ("test null against a missing member", #"{"a":1}"#, #"[{"op":"test","path":"/b","value":null}]"#, #"{"a":1}"#),
        ("v4: replace of a missing member adds it", #"{"a":1}"#, #"[{"op":"replace","path":"/b","value":2}]"#, #"{"a":1,"b":2}"#),
        ("v4: negative index counts from the end", #"{"a":[1,2,3]}"#, #"[{"op":"remove","path":"/a/-1"},{"op":"add","path":"/a/-1","value":9}]"#,
         #"{"a":[1,2,9]}"#),
        ("v4: copy from a missing member copies null", #"{"a":1}"#, #"[{"op":"copy","from":"/x","path":"/b"}]"#, #"{"a":1,"b":null}"#),
        ("v4: add without value adds null", #"{"a":1}"#, #"[{"op":"add","path":"/b"}]"#, #"{"a":1,"b":null}"#),
        ("scale a deployment", #"{"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}}"#,
         #"[{"op":"test","path":"/spec/replicas","value":1},{"op":"replace","path":"/spec/replicas","value":3},{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"y"}]"#,
         #"{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"a","image":"y"}]}}}}"#),
    ])
    func applies(_ name: String, _ doc: String, _ patch: String, _ expected: String) throws {
        #expect(try applyPatch(doc, patch) == json(expected), "\(name)")
    }

    /// Failures, with the messages evanphx/json-patch v4 gives; all are 422s.
    @Test(arguments: [
        ("A.9 test failure", #"{"baz":"qux","foo":["a",2,"c"]}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#,
         "testing value /baz failed: test failed"),
        ("A.12 add to a nonexistent target", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#,
         #"add operation does not apply: doc is missing path: "/baz/bat": missing value"#),
        ("A.15 string is not a number", #"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#,
         "testing value /~01 failed: test failed"),
        ("test integer against float", #"{"a":1}"#, #"[{"op":"test","path":"/a","value":1.5}]"#, "testing value /a failed: test failed"),
        ("test a missing member", #"{"a":1}"#, #"[{"op":"test","path":"/b","value":1}]"#, "testing value /b failed: test failed"),
        ("test below a missing member", #"{"a":1}"#, #"[{"op":"test","path":"/b/c","value":1}]"#,
         "test operation does not apply: is missing path: /b/c: missing value"),
        ("remove a missing member", #"{"a":1}"#, #"[{"op":"remove","path":"/b"}]"#,
         "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value"),
        ("remove out of range", #"{"a":[1]}"#, #"[{"op":"remove","path":"/a/1"}]"#,
         "error in remove for path: '/a/1': Unable to access invalid index: 1: invalid index referenced"),
        ("add out of range", #"{"a":[1]}"#, #"[{"op":"add","path":"/a/3","value":0}]"#,
         "error in add for path: '/a/3': Unable to access invalid index: 3: invalid index referenced"),
        ("add with a non-numeric index", #"{"a":[1]}"#, #"[{"op":"add","path":"/a/x","value":0}]"#,
         #"error in add for path: '/a/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax"#),
        ("replace out of range", #"{"a":[1]}"#, #"[{"op":"replace","path":"/a/5","value":0}]"#,
         "replace operation does not apply: doc is missing key: /a/5: missing value"),
        ("move from a missing member", #"{"a":1}"#, #"[{"op":"move","from":"/b","path":"/c"}]"#,
         "error in move for path: 'b': Unable to remove nonexistent key: b: missing value"),
        ("move to a missing parent", #"{"a":1}"#, #"[{"op":"move","from":"/a","path":"/x/y"}]"#,
         "move operation does not apply: doc is missing destination path: /x/y: missing value"),
        ("copy from a missing parent", #"{"a":1}"#, #"[{"op":"copy","from":"/x/y","path":"/c"}]"#,
         "copy operation does not apply: doc is missing from path: /x/y: missing value"),
        ("remove the root", #"{"a":1}"#, #"[{"op":"remove","path":""}]"#,
         #"remove operation does not apply: doc is missing path: "": missing value"#),
        ("unknown op", #"{"a":1}"#, #"[{"op":"frobnicate","path":"/a"}]"#, "Unexpected kind: frobnicate"),
        ("missing op", #"{"a":1}"#, #"[{"path":"/a"}]"#, "Unexpected kind: unknown"),
        ("missing path", #"{"a":1}"#, #"[{"op":"add","value":1}]"#, "add operation failed to decode path: missing value"),
        ("atomic: a late failure undoes nothing it did", #"{"a":1}"#,
         #"[{"op":"replace","path":"/a","value":2},{"op":"test","path":"/a","value":1}]"#, "testing value /a failed: test failed"),
    ])
    func fails(_ name: String, _ doc: String, _ patch: String, _ message: String) {
        #expect(throws: PatchError(.unprocessable, message), "\(name)") { try applyPatch(doc, patch) }
    }

    @Test func applyFailureIsKubernetesGeneric422() {
        let error = PatchError(.unprocessable, "testing value /baz failed: test failed").apiError
        #expect(error.code == 422)
        #expect(error.reason == "Invalid")
        #expect(error.message == "the server rejected our request due to an error in our request")
        #expect(error.status["details"] == [:])
    }

    @Test(arguments: [
        (#"{"op":"add"}"#, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        (#"["add"]"#, "json: cannot unmarshal string into Go value of type jsonpatch.Operation"),
        (#"[[]]"#, "json: cannot unmarshal array into Go value of type jsonpatch.Operation"),
    ])
    func undecodablePatchIsBadRequest(_ patch: String, _ message: String) {
        #expect(throws: PatchError(.badRequest, message)) { try JSONPatch(decoding: json(patch)) }
        #expect(PatchError(.badRequest, message).apiError == .badRequest(message))
    }

    @Test func unparsableTextIsBadRequest() {
        #expect(throws: PatchError.self) { try JSONPatch(parsing: Array("[{".utf8)) }
        do {
            _ = try JSONPatch(parsing: Array("[{".utf8))
        } catch {
            #expect(error.kind == .badRequest)
        }
    }

    @Test func tooManyOperationsIs413() throws {
        let ops = JSON.array(Array(repeating: ["op": "test", "path": "/a", "value": 1], count: JSONPatch.maxOperations + 1))
        let expected = PatchError(.tooLarge, "The allowed maximum operations in a JSON patch is 10000, got 10001")
        #expect(throws: expected) { try JSONPatch(decoding: ops) }
        #expect(expected.apiError.code == 413)
        #expect(expected.apiError.message == "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001")
        #expect(try JSONPatch(decoding: .null).operations.isEmpty)
    }

    @Test func copiesAreBounded() throws {
        let doc: JSON = ["a": .string(String(repeating: "x", count: 1000))]
        let patch = JSONPatch([.copy(from: "/a", to: "/b"), .copy(from: "/a", to: "/c")])
        #expect(try patch.apply(to: doc, maxCopyBytes: 0)["c"] == doc["a"])
        #expect(throws: PatchError(.unprocessable,
                                   "Unable to complete the copy, the accumulated size increase of copy is 2004, exceeding the limit 2000")) {
            try patch.apply(to: doc, maxCopyBytes: 2000)
        }
    }

    @Test func operationsRoundTrip() throws {
        let patch = JSONPatch([.add("/a", 1), .remove("/b"), .replace("/c", "x"), .move(from: "/d", to: "/e"),
                               .copy(from: "/f", to: "/g"), .test("/h", .null)])
        #expect(try JSONPatch(decoding: patch.json) == patch)
        #expect(patch.json.array?[3] == ["op": "move", "from": "/d", "path": "/e"])
    }

    @Test(arguments: [
        ("", [String]()), ("/", [""]), ("/a/b", ["a", "b"]), ("/a~1b/c~0d", ["a/b", "c~d"]), ("/~01", ["~1"]), ("/ /x", [" ", "x"]),
    ])
    func pointerTokens(_ text: String, _ tokens: [String]) throws {
        let pointer = try #require(JSONPointer(text))
        #expect(pointer.tokens == tokens)
        #expect(pointer.description == text)
    }

    @Test func pointerResolution() {
        let doc = json(#"{"a":{"b/c":[1,{"d":true}]}}"#)
        #expect(JSONPointer("a") == nil)
        #expect(JSONPointer("")?.resolve(in: doc) == doc)
        #expect(JSONPointer("/a/b~1c/1/d")?.resolve(in: doc) == true)
        #expect(JSONPointer("/a/b~1c/2")?.resolve(in: doc) == nil)
        #expect(JSONPointer("/a/b~1c/-")?.resolve(in: doc) == nil)
    }
}
