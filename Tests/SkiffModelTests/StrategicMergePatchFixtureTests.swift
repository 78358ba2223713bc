import Testing
@testable import SkiffModel

private func json(_ text: String) -> JSON {
    do { return try JSON.parse(text) } catch { fatalError("bad fixture \(text): \(error)") }
}

/// The `MergeItem` test type of Kubernetes' strategicpatch tests, as a recursive `PatchMeta`:
///
///     mergingList []MergeItem `patchStrategy:"merge" patchMergeKey:"name"`
///     nonMergingList []MergeItem, mergingIntList []int `patchStrategy:"merge"`, nonMergingIntList []int
///     mergeItemPtr *MergeItem `patchStrategy:"merge" patchMergeKey:"name"` (used as a list)
///     simpleMap map[string]string, replacingItem `patchStrategy:"replace"`
///     retainKeysMap `patchStrategy:"retainKeys"`
///     retainKeysMergingList []MergeItem `patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
private struct MergeItemMeta: PatchMeta {
    var patchStrategies: [String] = []
    var patchMergeKey: String?
    var elements: (any PatchMeta)? { MergeItemMeta() }

    func child(_ name: String) -> (any PatchMeta)? {
        switch name {
        case "mergingList", "mergeItemPtr": return MergeItemMeta(patchStrategies: ["merge"], patchMergeKey: "name")
        case "retainKeysMergingList": return MergeItemMeta(patchStrategies: ["merge", "retainKeys"], patchMergeKey: "name")
        case "mergingIntList": return MergeItemMeta(patchStrategies: ["merge"])
        case "replacingItem": return MergeItemMeta(patchStrategies: ["replace"])
        case "retainKeysMap": return MergeItemMeta(patchStrategies: ["retainKeys"])
        default: return MergeItemMeta()
        }
    }
}

struct StrategicMergeFixture: Sendable, CustomTestStringConvertible {
    var name: String
    var original: String
    var patch: String
    var result: String
    init(_ name: String, _ original: String, _ patch: String, _ result: String) {
        self.name = name
        self.original = original
        self.patch = patch
        self.result = result
    }
    var testDescription: String { name }
}

/// Cases from Kubernetes' `strategicMergePatchRawTestCases` (patch_test.go): a two-way patch
/// applied to `Original` gives `Modified`, a three-way patch applied to `Current` gives `Result`.
@Suite("StrategicMergePatch Kubernetes fixtures")
struct StrategicMergePatchFixtureTests {
    @Test(arguments: [
        StrategicMergeFixture("nested patch merge with empty list (two-way)",
                      #"{"name":"hi"}"#,
                      #"{"mergingList":[{"name":"hello"},{"$patch":"delete","name":"doesntexist"}]}"#,
                      #"{"name":"hi","mergingList":[{"name":"hello"}]}"#),
        StrategicMergeFixture("nested patch merge with empty list (three-way)",
                      #"{"name":"hi","mergingList":[{"name":"hello2"}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":"hello"},{"name":"doesntexist"}],"mergingList":[{"name":"hello"}]}"#,
                      #"{"name":"hi","mergingList":[{"name":"hello"},{"name":"hello2"}]}"#),
        StrategicMergeFixture("delete items in lists of scalars",
                      #"{"mergingIntList":[1,2,3,4]}"#,
                      #"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
                      #"{"mergingIntList":[1,2,4]}"#),
        StrategicMergeFixture("delete all duplicate items in lists of scalars",
                      #"{"mergingIntList":[1,2,3,3,4]}"#,
                      #"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
                      #"{"mergingIntList":[1,2,4]}"#),
        StrategicMergeFixture("add and delete items in lists of scalars",
                      #"{"mergingIntList":[1,2,3]}"#,
                      #"{"$setElementOrder/mergingIntList":[1,2,4],"$deleteFromPrimitiveList/mergingIntList":[3],"mergingIntList":[4]}"#,
                      #"{"mergingIntList":[1,2,4]}"#),
        StrategicMergeFixture("merge lists of maps",
                      #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":4,"value":4},{"name":3,"value":3}]}"#,
                      #"{"mergingList":[{"name":4,"value":4},{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"},{"name":3,"value":3}]}"#),
        StrategicMergeFixture("add field to map in merging list with conflict",
                      #"{"mergingList":[{"name":1,"other":"a"},{"name":3,"value":2,"other":"b"}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"mergingList":[{"name":1,"value":1},{"name":2,"value":2}]}"#,
                      #"{"mergingList":[{"name":1,"value":1,"other":"a"},{"name":2,"value":2},{"name":3,"value":2,"other":"b"}]}"#),
        StrategicMergeFixture("add an item that already exists in current object in merging list",
                      #"{"mergingList":[{"name":1,"value":"a","other":"x"},{"name":2},{"name":3}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":3}]}"#,
                      #"{"mergingList":[{"name":1,"value":"a","other":"x"},{"name":2},{"name":3}]}"#),
        StrategicMergeFixture("replace map field value in merging list",
                      #"{"mergingList":[{"name":1,"value":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"mergingList":[{"name":1,"value":"a"}]}"#,
                      #"{"mergingList":[{"name":1,"value":"a","other":"a"},{"name":2,"value":2,"other":"b"}]}"#),
        StrategicMergeFixture("delete map from merging list",
                      #"{"mergingList":[{"name":1},{"name":2,"other":"b"}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":2}],"mergingList":[{"name":1,"$patch":"delete"}]}"#,
                      #"{"mergingList":[{"name":2,"other":"b"}]}"#),
        StrategicMergeFixture("delete missing map from merging list with conflict",
                      #"{"mergingList":[{"name":3,"other":"a"}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":2}],"mergingList":[{"name":2},{"name":1,"$patch":"delete"}]}"#,
                      #"{"mergingList":[{"name":2},{"name":3,"other":"a"}]}"#),
        StrategicMergeFixture("add map and delete map from merging list",
                      #"{"mergingList":[{"name":1},{"name":2,"other":"b"},{"name":4,"other":"c"}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":2},{"name":3}],"mergingList":[{"name":3},{"name":1,"$patch":"delete"}]}"#,
                      #"{"mergingList":[{"name":2,"other":"b"},{"name":4,"other":"c"},{"name":3}]}"#),
        StrategicMergeFixture("retainKeys list of maps clears a field",
                      #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a","other":"x"}]}"#,
                      #"{"$setElementOrder/retainKeysMergingList":[{"name":"bar"},{"name":"foo"}],"retainKeysMergingList":[{"$retainKeys":["name","value"],"name":"foo"}]}"#,
                      #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a"}]}"#),
        StrategicMergeFixture("retainKeys list of maps changes a field and clears a field",
                      #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"modified","other":"x"}]}"#,
                      #"{"$setElementOrder/retainKeysMergingList":[{"name":"bar"},{"name":"foo"}],"retainKeysMergingList":[{"$retainKeys":["name","value"],"name":"foo","value":"new"}]}"#,
                      #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"new"}]}"#),
        StrategicMergeFixture("retainKeys list of maps deletes a field",
                      #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a","other":"x"}]}"#,
                      #"{"$setElementOrder/retainKeysMergingList":[{"name":"bar"},{"name":"foo"}],"retainKeysMergingList":[{"$retainKeys":["name"],"name":"foo","value":null}]}"#,
                      #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo"}]}"#),
        StrategicMergeFixture("delete and reorder in one list, reorder in another",
                      #"{"mergingList":[{"name":"a","value":"a"},{"name":"b","value":"b"}],"mergeItemPtr":[{"name":"c","value":"c"},{"name":"d","value":"d"}]}"#,
                      #"{"$setElementOrder/mergingList":[{"name":"b"}],"$setElementOrder/mergeItemPtr":[{"name":"d"},{"name":"c"}],"mergingList":[{"$patch":"delete","name":"a"}]}"#,
                      #"{"mergingList":[{"name":"b","value":"b"}],"mergeItemPtr":[{"name":"d","value":"d"},{"name":"c","value":"c"}]}"#),
    ])
    func appliesLikeKubernetes(_ c: StrategicMergeFixture) throws {
        #expect(try StrategicMergePatch.apply(json(c.patch), to: json(c.original), meta: MergeItemMeta()) == json(c.result))
    }

    @Test func retainKeysMapClearsFields() throws {
        let original = json(#"{"retainKeysMap":{"name":"foo","value":"a","simpleMap":{"k":"v"}},"other":"x"}"#)
        let patch = json(#"{"retainKeysMap":{"$retainKeys":["name","simpleMap"],"simpleMap":{"k2":"v2"}}}"#)
        #expect(try StrategicMergePatch.apply(patch, to: original, meta: MergeItemMeta())
                == json(#"{"retainKeysMap":{"name":"foo","simpleMap":{"k":"v","k2":"v2"}},"other":"x"}"#))
    }

    @Test func nonMergingListsAreReplaced() throws {
        let original = json(#"{"nonMergingList":[{"name":"1"},{"name":"2"}],"nonMergingIntList":[1,2]}"#)
        let patch = json(#"{"nonMergingList":[{"name":"3","value":null}],"nonMergingIntList":[3]}"#)
        #expect(try StrategicMergePatch.apply(patch, to: original, meta: MergeItemMeta())
                == json(#"{"nonMergingList":[{"name":"3"}],"nonMergingIntList":[3]}"#))
    }

    @Test func replacingItemIsReplaced() throws {
        let original = json(#"{"replacingItem":{"a":{"b":1},"c":2}}"#)
        let patch = json(#"{"replacingItem":{"a":{"d":3}}}"#)
        #expect(try StrategicMergePatch.apply(patch, to: original, meta: MergeItemMeta()) == patch)
    }
}
