import Testing
@testable import SkiffModel

private func json(_ text: String) -> JSON {
    do { return try JSON.parse(text) } catch { fatalError("bad fixture \(text): \(error)") }
}

@Suite("MergePatch")
struct MergePatchTests {
    /// RFC 7386 appendix A (the two scalar/null patches are refused, see below).
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func rfc7386(_ target: String, _ patch: String, _ expected: String) throws {
        #expect(try MergePatch.apply(json(patch), to: json(target)) == json(expected))
    }

    @Test(arguments: [
        ("labels merge, null removes", #"{"metadata":{"labels":{"a":"1","b":"2"}}}"#, #"{"metadata":{"labels":{"b":null,"c":"3"}}}"#,
         #"{"metadata":{"labels":{"a":"1","c":"3"}}}"#),
        ("lists are replaced, never merged", #"{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}}"#,
         #"{"spec":{"containers":[{"name":"a","image":"y"}]}}"#, #"{"spec":{"containers":[{"name":"a","image":"y"}]}}"#),
        ("evanphx: nulls inside objects in a new array are dropped", #"{}"#, #"{"a":[{"b":null,"c":1},null]}"#, #"{"a":[{"c":1},null]}"#),
        ("null for an absent member is not stored", #"{"a":1}"#, #"{"b":null}"#, #"{"a":1}"#),
        ("integers stay integers", #"{"spec":{"replicas":1}}"#, #"{"spec":{"replicas":3}}"#, #"{"spec":{"replicas":3}}"#),
    ])
    func kubernetesCases(_ name: String, _ target: String, _ patch: String, _ expected: String) throws {
        #expect(try MergePatch.apply(json(patch), to: json(target)) == json(expected), "\(name)")
    }

    /// evanphx/json-patch refuses a `null` or scalar patch (`ErrBadJSONPatch`); RFC 7386 would
    /// return the patch itself, which can never be a Kubernetes object.
    @Test(arguments: ["null", #""bar""#, "3", "true"])
    func scalarPatchIsRefused(_ patch: String) {
        #expect(throws: PatchError(.badRequest, "Invalid JSON Patch")) { try MergePatch.apply(json(patch), to: ["a": "foo"]) }
    }

    @Test func appliesText() throws {
        #expect(try MergePatch.apply(parsing: Array(#"{"a":2}"#.utf8), to: ["a": 1]) == ["a": 2])
        #expect(throws: PatchError(.badRequest, "Invalid JSON Patch")) { try MergePatch.apply(parsing: Array("{".utf8), to: [:]) }
    }
}
