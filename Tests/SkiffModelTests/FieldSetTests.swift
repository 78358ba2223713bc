import Testing
@testable import SkiffModel

/// Field sets as server-side apply tracks them, and their `fieldsV1` form.
@Suite struct FieldSetTests {
    static let meta = Schema.builtin.patchMeta(for: GroupVersionKind(group: "apps", version: "v1", kind: "Deployment"))

    static let deployment: JSON = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": [
            "name": "web", "namespace": "default", "uid": "5b1c", "resourceVersion": "12", "generation": 2,
            "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [["manager": "x", "operation": "Update"]],
            "labels": ["app": "web"], "finalizers": ["example.com/keep"],
        ],
        "spec": [
            "replicas": 3,
            "template": [
                "metadata": ["labels": ["app": "web"]],
                "spec": ["containers": [[
                    "name": "main", "image": "nginx:1.25", "args": ["-g", "daemon off;"], "resources": [:],
                    "ports": [["containerPort": 80, "protocol": "TCP"]],
                ]]],
            ],
        ],
        "status": ["replicas": 3],
    ]

    static func path(_ elements: FieldPathElement...) -> FieldPath { FieldPath(elements) }
    static let container = path(.field("spec"), .field("template"), .field("spec"), .field("containers"), .key(#"{"name":"main"}"#))

    @Test func keyedListElementsScalarsAndSets() {
        let set = FieldSet.of(Self.deployment, meta: Self.meta)
        let c = Self.container
        #expect(set.paths.contains(c))
        #expect(set.paths.contains(c.appending(.field("image"))))
        #expect(set.paths.contains(c.appending(.field("name"))))
        // An atomic list is one leaf; an empty object is a leaf.
        #expect(set.paths.contains(c.appending(.field("args"))))
        let args = c.appending(.field("args")).elements
        #expect(!set.paths.contains { $0.elements.starts(with: args) && $0.elements.count > args.count })
        #expect(set.paths.contains(c.appending(.field("resources"))))
        // Ports are keyed by both list-map keys, in key order.
        let port = c.appending(.field("ports")).appending(.key(#"{"containerPort":80,"protocol":"TCP"}"#))
        #expect(set.paths.contains(port))
        #expect(set.paths.contains(port.appending(.field("containerPort"))))
        #expect(set.paths.contains(Self.path(.field("metadata"), .field("finalizers"), .value(#""example.com/keep""#))))
        #expect(set.paths.contains(Self.path(.field("spec"), .field("replicas"))))
        #expect(set.paths.contains(Self.path(.field("metadata"), .field("labels"))))
        #expect(set.paths.contains(Self.path(.field("metadata"), .field("labels"), .field("app"))))
        #expect(set.paths.contains(Self.path(.field("status"), .field("replicas"))))
        // Structs are not members of their own; only what they hold is.
        #expect(!set.paths.contains(Self.path(.field("spec"))))
        #expect(!set.paths.contains(Self.path(.field("spec"), .field("template"))))
    }

    @Test(arguments: ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"])
    func serverOwnedMetadataIsNotTracked(field: String) {
        let set = FieldSet.of(Self.deployment, meta: Self.meta)
        #expect(!set.paths.contains { $0.elements.starts(with: [.field("metadata"), .field(field)]) })
        #expect(!set.paths.contains { $0.elements.first == .field("apiVersion") || $0.elements.first == .field("kind") })
    }

    @Test func ignoredTopLevelFields() {
        let set = FieldSet.of(Self.deployment, meta: Self.meta, ignoring: ["status"])
        #expect(!set.paths.contains { $0.elements.first == .field("status") })
        #expect(set.paths.contains(Self.path(.field("spec"), .field("replicas"))))
    }

    @Test func withoutASchemaEveryListIsAtomic() {
        let set = FieldSet.of(Self.deployment, meta: nil)
        let containers = Self.path(.field("spec"), .field("template"), .field("spec"), .field("containers"))
        #expect(set.paths.contains(containers))
        #expect(!set.paths.contains(Self.container))
        #expect(set.paths.contains(Self.path(.field("metadata"), .field("finalizers"))))
    }

    @Test func fieldsV1RoundTrips() throws {
        for object in [Self.deployment, ["metadata": ["labels": ["a": "b"]]], [:]] as [JSON] {
            let set = FieldSet.of(object, meta: Self.meta)
            #expect(FieldSet(fieldsV1: set.fieldsV1) == set)
            #expect(try FieldSet(fieldsV1: JSON.parse(set.fieldsV1.serialized())) == set)
        }
    }

    @Test func fieldsV1HasKubernetesShape() {
        let v1 = FieldSet.of(Self.deployment, meta: Self.meta, ignoring: ["status"]).fieldsV1
        // A map that is itself a member carries ".", its entries are empty objects.
        #expect(v1["f:metadata", "f:labels"] == [".": [:], "f:app": [:]])
        #expect(v1["f:metadata", "f:finalizers", #"v:"example.com/keep""#] == [:])
        #expect(v1["f:spec", "f:replicas"] == [:])
        let element = v1["f:spec", "f:template", "f:spec", "f:containers", #"k:{"name":"main"}"#]
        #expect(element?["."] == [:])
        #expect(element?["f:image"] == [:])
        #expect(element?["f:args"] == [:])
        #expect(element?["f:ports", #"k:{"containerPort":80,"protocol":"TCP"}"#] == [".": [:], "f:containerPort": [:], "f:protocol": [:]])
        // Structs are plain nodes, not members.
        #expect(v1["f:spec", "."] == nil)
        #expect(v1["f:status"] == nil)
        #expect(v1["f:metadata", "f:name"] == nil)
    }

    @Test func readsKubernetesFieldsV1() throws {
        // As kube-controller-manager writes them (list members carry "." too).
        let text = #"{"f:metadata":{"f:finalizers":{".":{},"v:\"kubernetes\"":{}},"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}},"f:status":{"f:conditions":{"k:{\"type\":\"Available\"}":{".":{},"f:status":{}}}},"x:unknown":{}}"#
        let set = FieldSet(fieldsV1: try JSON.parse(text))
        let described = Set(set.paths.map(\.description))
        #expect(described == [
            ".metadata.finalizers", ".metadata.finalizers[=\"kubernetes\"]", ".metadata.labels", ".metadata.labels.app",
            ".spec.template.spec.containers[name=\"nginx\"]", ".spec.template.spec.containers[name=\"nginx\"].image",
            ".spec.template.spec.containers[name=\"nginx\"].name",
            ".status.conditions[type=\"Available\"]", ".status.conditions[type=\"Available\"].status",
        ])
    }

    @Test(arguments: [
        ("f:spec", FieldPathElement.field("spec")), (#"k:{"name":"main"}"#, .key(#"{"name":"main"}"#)),
        (#"v:"x""#, .value(#""x""#)), ("i:3", .index(3)),
    ])
    func fieldsV1Keys(key: String, element: FieldPathElement) {
        #expect(FieldPathElement(fieldsV1Key: key) == element)
        #expect(element.fieldsV1Key == key)
    }

    @Test(arguments: ["", "f", "x:y", "i:three", "."])
    func malformedFieldsV1Keys(key: String) {
        #expect(FieldPathElement(fieldsV1Key: key) == nil)
    }

    @Test func pathsPrintAsStructuredMergeDiffDoes() {
        let image = Self.container.appending(.field("image"))
        #expect(image.description == #".spec.template.spec.containers[name="main"].image"#)
        #expect(Self.path(.field("metadata"), .field("finalizers"), .value(#""a""#)).description == #".metadata.finalizers[="a"]"#)
        #expect(Self.path(.field("spec"), .field("ports"), .key(#"{"port":80,"protocol":"TCP"}"#)).description == #".spec.ports[port=80,protocol="TCP"]"#)
        #expect(Self.path(.field("args"), .index(1)).description == ".args[1]")
    }

    @Test func valuesAtPaths() {
        let c = Self.container
        #expect(c.appending(.field("image")).value(in: Self.deployment) == "nginx:1.25")
        #expect(Self.path(.field("metadata"), .field("finalizers"), .value(#""example.com/keep""#)).value(in: Self.deployment) == "example.com/keep")
        #expect(c.appending(.field("args")).appending(.index(1)).value(in: Self.deployment) == "daemon off;")
        #expect(Self.path(.field("spec"), .field("nope")).value(in: Self.deployment) == nil)
        #expect(Self.path(.field("spec"), .field("template"), .field("spec"), .field("containers"), .key(#"{"name":"other"}"#)).value(in: Self.deployment) == nil)
    }
}

/// `FieldSet.diff`: the fields an update changed and removed, checked against their definition
/// (the two objects' field sets compared path by path).
@Suite struct FieldSetDiffTests {
    /// The definition: fields of `new` not in `old`'s set, or leaves whose value differs; fields of
    /// `old`'s set not in `new`'s.
    static func reference(_ old: JSON, _ new: JSON, ignoring: Set<String> = []) -> (changed: FieldSet, removed: FieldSet) {
        let before = FieldSet.of(old, meta: FieldSetTests.meta, ignoring: ignoring)
        let after = FieldSet.of(new, meta: FieldSetTests.meta, ignoring: ignoring)
        let changed = after.paths.filter { p in
            guard before.paths.contains(p) else { return true }
            guard let v = p.value(in: new), v.object == nil else { return false }
            return p.value(in: old) != v
        }
        return (FieldSet(changed), before.subtracting(after))
    }

    static let containers = ["spec", "template", "spec", "containers"]

    static let updates: [(String, @Sendable (inout JSON) -> Void)] = [
        ("image", { $0[path: containers[...]] = [["name": "main", "image": "nginx:1.27", "args": ["-g", "daemon off;"], "resources": [:],
                                                 "ports": [["containerPort": 80, "protocol": "TCP"]]]] }),
        ("sidecar", { o in
            var list = o[path: containers[...]]?.array ?? []
            list.append(["name": "sidecar", "image": "busybox"])
            o[path: containers[...]] = .array(list)
        }),
        ("no containers", { $0[path: containers[...]] = [] }),
        ("ports", { $0[path: (containers + ["0"])[...]] = nil; $0[path: containers[...]] = [["name": "main", "ports": [["containerPort": 81, "protocol": "TCP"]]]] }),
        ("args", { $0[path: containers[...]] = [["name": "main", "image": "nginx:1.25", "args": ["x"], "resources": ["limits": ["cpu": "1"]]]] }),
        ("labels", { $0["metadata", "labels"] = ["tier": "front"] }),
        ("finalizers", { $0["metadata", "finalizers"] = ["example.com/other"] }),
        ("replicas to an object", { $0["spec", "replicas"] = ["odd": 1] }),
        ("no spec", { $0["spec"] = nil }),
        ("status", { $0["status"] = ["replicas": 2, "readyReplicas": 2] }),
        ("nothing", { _ in }),
    ]

    @Test(arguments: updates.indices)
    func diffIsTheDefinition(index: Int) {
        let (name, update) = Self.updates[index]
        let old = FieldSetTests.deployment
        var new = old
        update(&new)
        for ignoring: Set<String> in [[], ["status"]] {
            let diff = FieldSet.diff(from: old, to: new, meta: FieldSetTests.meta, ignoring: ignoring)
            let expected = Self.reference(old, new, ignoring: ignoring)
            #expect(diff.changed == expected.changed, "\(name): changed")
            #expect(diff.removed == expected.removed, "\(name): removed")
            let back = FieldSet.diff(from: new, to: old, meta: FieldSetTests.meta, ignoring: ignoring)
            let expectedBack = Self.reference(new, old, ignoring: ignoring)
            #expect(back.changed == expectedBack.changed, "\(name) undone: changed")
            #expect(back.removed == expectedBack.removed, "\(name) undone: removed")
        }
    }

    @Test func aFieldsV1TreeIsReadWithoutDecoding() {
        let set = FieldSet.of(FieldSetTests.deployment, meta: FieldSetTests.meta)
        let tree = set.fieldsV1
        for p in set.paths { #expect(FieldSet.fieldsV1(tree, contains: p)) }
        #expect(!FieldSet.fieldsV1(tree, contains: FieldSetTests.path(.field("spec"))))  // a struct: only a prefix
        #expect(!FieldSet.fieldsV1(tree, contains: FieldSetTests.path(.field("spec"), .field("paused"))))
    }
}
