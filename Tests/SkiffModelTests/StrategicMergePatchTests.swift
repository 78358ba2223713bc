import Testing
@testable import SkiffModel

private func json(_ text: String) -> JSON {
    do { return try JSON.parse(text) } catch { fatalError("bad fixture \(text): \(error)") }
}

/// The patch metadata of the Kubernetes types these tests touch, as their Go struct tags declare it.
private enum Workloads {
    static let objectMeta = DictionaryPatchMeta.object([
        "labels": .map(), "annotations": .map(),
        "finalizers": .list(strategy: "merge"),
        "ownerReferences": .list(mergeKey: "uid"),
    ])
    static let container = DictionaryPatchMeta.object([
        "ports": .list(mergeKey: "containerPort"),
        "env": .list(mergeKey: "name"),
        "volumeMounts": .list(mergeKey: "mountPath"),
        "resources": .object(["limits": .map(), "requests": .map()]),
    ])
    static let podSpec = DictionaryPatchMeta.object([
        "containers": .list(mergeKey: "name", of: container),
        "initContainers": .list(mergeKey: "name", of: container),
        "volumes": .list(mergeKey: "name", strategy: "merge,retainKeys"),
        "imagePullSecrets": .list(mergeKey: "name"),
        "nodeSelector": .map(),
    ])
    static let pod = DictionaryPatchMeta.object(["metadata": objectMeta, "spec": podSpec])
    static let deployment = DictionaryPatchMeta.object([
        "metadata": objectMeta,
        "spec": .object([
            "selector": .object(["matchLabels": .map()]),
            "template": .object(["metadata": objectMeta, "spec": podSpec]),
            "strategy": .object(["rollingUpdate": .plain], strategy: "retainKeys"),
        ]),
    ])
}

private let pod = #"""
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"web","tier":"front"},"finalizers":["a","b","c"]},
 "spec":{"containers":[
   {"name":"main","image":"nginx:1.25","args":["-g","daemon off;"],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]},
   {"name":"sidecar","image":"envoy","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}],
  "volumes":[{"name":"data","hostPath":{"path":"/srv"}}]}}
"""#

private let deployment = #"""
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
 "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
  "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}},
  "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"main","image":"nginx"}]}}}}
"""#

@Suite("StrategicMergePatch")
struct StrategicMergePatchTests {
    private func patched(_ original: String, _ patch: String, _ meta: DictionaryPatchMeta = Workloads.pod) throws(PatchError) -> JSON {
        try StrategicMergePatch.apply(json(patch), to: json(original), meta: meta)
    }

    @Test func seedCaseSetsEnvOfTheNamedContainer() throws {
        let result = try patched(pod, #"{"spec":{"containers":[{"name":"main","env":[]}]}}"#)
        var expected = json(pod)
        expected[path: ["spec", "containers"]] = .array([
            json(#"{"name":"main","image":"nginx:1.25","args":["-g","daemon off;"],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],"env":[]}"#),
            json(#"{"name":"sidecar","image":"envoy","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}"#),
        ])
        #expect(result == expected)

        let template = try patched(deployment, #"{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[]}]}}}}"#, Workloads.deployment)
        #expect(template["spec", "template", "spec", "containers"] == json(#"[{"name":"main","image":"nginx","env":[]}]"#))
        #expect(template["spec", "replicas"] == 2)
    }

    @Test(arguments: [
        ("an empty merged list leaves the live list alone", #"{"spec":{"containers":[{"name":"sidecar","env":[]}]}}"#,
         ["spec", "containers", "1", "env"], #"[{"name":"A","value":"1"},{"name":"B","value":"2"}]"#),
        ("containers merge by name, in patch order", #"{"spec":{"containers":[{"name":"main","image":"nginx:1.26"},{"name":"new","image":"busybox"}]}}"#,
         ["spec", "containers"],
         #"[{"name":"main","image":"nginx:1.26","args":["-g","daemon off;"],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]},{"name":"new","image":"busybox"},{"name":"sidecar","image":"envoy","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]"#),
        ("a new container alone goes first (kubectl patch docs)", #"{"spec":{"containers":[{"name":"new","image":"redis"}]}}"#,
         ["spec", "containers"],
         #"[{"name":"new","image":"redis"},{"name":"main","image":"nginx:1.25","args":["-g","daemon off;"],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]},{"name":"sidecar","image":"envoy","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]"#),
        ("ports merge by containerPort", #"{"spec":{"containers":[{"name":"main","ports":[{"containerPort":443,"name":"https"},{"containerPort":8080}]}]}}"#,
         ["spec", "containers", "0", "ports"], #"[{"containerPort":80,"name":"http"},{"containerPort":443,"name":"https"},{"containerPort":8080}]"#),
        ("env merges by name, null deletes a member", #"{"spec":{"containers":[{"name":"sidecar","env":[{"name":"B","value":null,"valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}"#,
         ["spec", "containers", "1", "env"], #"[{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]"#),
        ("a primitive list without strategy is replaced", #"{"spec":{"containers":[{"name":"main","args":["-v"]}]}}"#,
         ["spec", "containers", "0", "args"], #"["-v"]"#),
        ("a merge primitive list is a union; new values first", #"{"metadata":{"finalizers":["d","b"]}}"#,
         ["metadata", "finalizers"], #"["d","a","b","c"]"#),
        ("$deleteFromPrimitiveList", #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b","z"]}}"#,
         ["metadata", "finalizers"], #"["a","c"]"#),
        ("$patch: delete removes a list element", #"{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}"#,
         ["spec", "containers"], #"[{"name":"main","image":"nginx:1.25","args":["-g","daemon off;"],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]}]"#),
        ("$patch: replace replaces a merged list", #"{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"x","env":null}]}}"#,
         ["spec", "containers"], #"[{"name":"only","image":"x"}]"#),
        ("$patch: replace replaces an object", #"{"metadata":{"labels":{"$patch":"replace","new":"1"}}}"#,
         ["metadata", "labels"], #"{"new":"1"}"#),
        ("$patch: delete empties an object", #"{"metadata":{"labels":{"$patch":"delete","ignored":"1"}}}"#,
         ["metadata", "labels"], #"{}"#),
        ("maps merge key by key, null deletes", #"{"metadata":{"labels":{"tier":null,"env":"prod","absent":null}}}"#,
         ["metadata", "labels"], #"{"app":"web","env":"prod"}"#),
        ("null deletes a field", #"{"spec":{"volumes":null}}"#, ["spec", "volumes"], "null"),
        ("$retainKeys keeps only the listed keys", #"{"spec":{"volumes":[{"name":"data","$retainKeys":["name","emptyDir"],"emptyDir":{}}]}}"#,
         ["spec", "volumes"], #"[{"name":"data","emptyDir":{}}]"#),
        ("new values lose nulls and directives", #"{"spec":{"affinity":{"nodeAffinity":null,"podAffinity":{"$patch":"replace"},"x":{"y":null,"$retainKeys":["y"]}}}}"#,
         ["spec", "affinity"], #"{"x":{}}"#),
        ("unknown fields merge like maps", #"{"spec":{"extra":{"a":{"b":1}}},"status":{"phase":"Running"}}"#,
         ["spec", "extra"], #"{"a":{"b":1}}"#),
        ("$setElementOrder orders a merged list", #"{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"main"}],"containers":[{"name":"main","image":"nginx:2"}]}}"#,
         ["spec", "containers"],
         #"[{"name":"sidecar","image":"envoy","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"main","image":"nginx:2","args":["-g","daemon off;"],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]}]"#),
        ("$setElementOrder orders a primitive list", #"{"metadata":{"$setElementOrder/finalizers":["c","a","b"]}}"#,
         ["metadata", "finalizers"], #"["c","a","b"]"#),
    ])
    func podCases(_ name: String, _ patch: String, _ path: [String], _ expected: String) throws {
        let result = try patched(pod, patch)
        let value = path.reduce(Optional(result)) { node, token in
            guard let node else { return nil }
            if let i = Int(token), let a = node.array { return i < a.count ? a[i] : nil }
            return node[token]
        }
        #expect((value ?? .null) == json(expected), "\(name)")
        // Everything the patch did not mention is untouched.
        #expect(result["metadata", "name"] == "web", "\(name)")
        #expect(result["kind"] == "Pod", "\(name)")
    }

    /// The same patches with the metadata read from the embedded Kubernetes schema.
    @Test func withTheEmbeddedSchema() throws {
        let podMeta = try #require(Schema.builtin.patchMeta(for: GroupVersionKind(group: "", version: "v1", kind: "Pod")))
        let result = try StrategicMergePatch.apply(json(#"{"spec":{"containers":[{"name":"main","env":[],"ports":[{"containerPort":443,"name":"https"}]}]},"metadata":{"finalizers":["d"]}}"#),
                                                   to: json(pod), meta: podMeta)
        #expect(result["spec", "containers"]?.array?.count == 2)
        #expect(result["spec", "containers"]?.array?.first == json(#"{"name":"main","image":"nginx:1.25","args":["-g","daemon off;"],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443,"name":"https"}],"env":[]}"#))
        #expect(result["metadata", "finalizers"] == ["d", "a", "b", "c"])

        let deploymentMeta = try #require(Schema.builtin.patchMeta(for: GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")))
        let scaled = try StrategicMergePatch.apply(json(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"},"template":{"spec":{"containers":[{"name":"main","env":[]}]}}}}"#),
                                                   to: json(deployment), meta: deploymentMeta)
        #expect(scaled["spec", "strategy"] == ["type": "Recreate"])
        #expect(scaled["spec", "template", "spec", "containers"] == json(#"[{"name":"main","image":"nginx","env":[]}]"#))
    }

    @Test func retainKeysOnDeploymentStrategy() throws {
        let result = try patched(deployment, #"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#, Workloads.deployment)
        #expect(result["spec", "strategy"] == ["type": "Recreate"])
        #expect(throws: PatchError(.badRequest, "invalid patch format of retainKeys")) {
            try patched(deployment, #"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":{"maxSurge":2}}}}"#, Workloads.deployment)
        }
        #expect(throws: PatchError(.badRequest, "invalid patch format of retainKeys")) {
            try patched(deployment, #"{"spec":{"strategy":{"$retainKeys":"type"}}}"#, Workloads.deployment)
        }
    }

    @Test func replaceStrategyReplacesObjects() throws {
        let meta = DictionaryPatchMeta.object(["spec": .object(["selector": .object([:], strategy: "replace")])])
        let result = try StrategicMergePatch.apply(json(#"{"spec":{"selector":{"b":2,"c":null}}}"#), to: json(#"{"spec":{"selector":{"a":1}}}"#), meta: meta)
        #expect(result == json(#"{"spec":{"selector":{"b":2}}}"#))
    }

    @Test(arguments: [
        ("no merge key", #"{"spec":{"containers":[{"image":"x","tty":true}]}}"#,
         PatchError(.internalError, "map: map[image:x tty:true] does not contain declared merge key: name")),
        ("$patch: merge in a map", #"{"metadata":{"labels":{"$patch":"merge"}}}"#,
         PatchError(.internalError, "unknown patch type: merge in map: map[$patch:merge]")),
        ("$patch: merge in a list", #"{"spec":{"containers":[{"name":"main","$patch":"merge"}]}}"#,
         PatchError(.internalError, "merging lists cannot yet be specified in the patch")),
        ("unknown $patch", #"{"spec":{"containers":[{"name":"main","$patch":"frob"}]}}"#,
         PatchError(.internalError, "unknown patch type: frob in map: map[$patch:frob name:main]")),
        ("mixed element types", #"{"metadata":{"finalizers":[1]}}"#,
         PatchError(.internalError, "list element types are not identical: [[a b c] [1]]")),
        ("list of lists", #"{"metadata":{"finalizers":[["x"]]},"spec":{}}"#,
         PatchError(.internalError, "list element types are not identical: [[a b c] [[x]]]")),
        ("bad primitive-list directive", #"{"metadata":{"$deleteFromPrimitiveList":["a"]}}"#,
         PatchError(.badRequest, "invalid patch format of primitive list")),
        ("bad order directive", #"{"spec":{"$setElementOrderX/containers":[]}}"#,
         PatchError(.badRequest, "invalid patch format of setElementOrder list")),
        ("order contradicting the patch", #"{"spec":{"$setElementOrder/containers":[{"name":"main"}],"containers":[{"name":"sidecar","image":"y"}]}}"#,
         PatchError(.internalError, "the order in patch list:\n[map[image:y name:sidecar]]\n doesn't match $setElementOrder list:\n[map[name:main]]")),
    ])
    func errors(_ name: String, _ patch: String, _ error: PatchError) {
        #expect(throws: error, "\(name)") { try patched(pod, patch) }
    }

    @Test func listsOfListsAreUnprocessable() {
        let meta = DictionaryPatchMeta.object(["m": .list(strategy: "merge")])
        #expect(throws: PatchError(.unprocessable, "lists of lists are not supported")) {
            try StrategicMergePatch.apply(json(#"{"m":[["b"]]}"#), to: json(#"{"m":[["a"]]}"#), meta: meta)
        }
    }

    @Test func errorStatuses() {
        #expect(PatchError(.internalError, "boom").apiError.status == [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": "boom", "code": 500,
        ])
        #expect(StrategicMergePatch.unsupportedError.apiError.code == 415)
        #expect(StrategicMergePatch.unsupportedError.apiError.reason == "UnsupportedMediaType")
    }

    @Test func patchShapes() throws {
        #expect(try patched(pod, "null") == json(pod))
        #expect(throws: PatchError(.badRequest, "json: cannot unmarshal array into Go value of type map[string]interface {}")) {
            try patched(pod, "[]")
        }
        #expect(try StrategicMergePatch.apply(json(#"{"$patch":"replace","a":1}"#), to: json(pod), meta: Workloads.pod) == ["a": 1])
    }

    @Test(arguments: [
        ("application/json-patch+json", PatchType.json), ("application/merge-patch+json; charset=utf-8", .merge),
        ("Application/Strategic-Merge-Patch+JSON", .strategicMerge), ("application/apply-patch+yaml", .apply),
    ])
    func contentTypes(_ header: String, _ type: PatchType) {
        #expect(PatchType(contentType: header) == type)
    }

    @Test func patchTypeDispatch() throws {
        let original: JSON = ["metadata": ["labels": ["a": "1"]], "spec": ["containers": [["name": "main", "image": "x"]]]]
        let smp = Array(#"{"spec":{"containers":[{"name":"main","image":"y"}]}}"#.utf8)
        #expect(try PatchType.strategicMerge.apply(body: smp, to: original, meta: Workloads.pod)["spec", "containers"] == [["name": "main", "image": "y"]])
        #expect(throws: StrategicMergePatch.unsupportedError) { try PatchType.strategicMerge.apply(body: smp, to: original, meta: nil) }
        #expect(try PatchType.merge.apply(body: smp, to: original, meta: nil)["spec", "containers"] == [["name": "main", "image": "y"]])
        let jp = Array(#"[{"op":"add","path":"/metadata/labels/b","value":"2"}]"#.utf8)
        #expect(try PatchType.json.apply(body: jp, to: original, meta: nil)["metadata", "labels"] == ["a": "1", "b": "2"])
        #expect(PatchType(contentType: "application/json") == nil)
    }
}
