import Testing
@testable import SkiffModel

/// Server-side apply's merge, removal and conflict detection, by the Deployment schema.
@Suite struct ServerSideApplyTests {
    static let meta = Schema.builtin.patchMeta(for: GroupVersionKind(group: "apps", version: "v1", kind: "Deployment"))

    static func deployment(replicas: Int64 = 3, containers: JSON, finalizers: JSON? = nil, labels: JSON = ["app": "web"]) -> JSON {
        var d: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "labels": labels],
            "spec": ["replicas": .int(replicas), "template": ["spec": ["containers": containers]]],
        ]
        if let finalizers { d["metadata", "finalizers"] = finalizers }
        return d
    }

    static func containers(_ d: JSON) -> [JSON] { d["spec", "template", "spec", "containers"]?.array ?? [] }

    @Test func mergesContainersByName() {
        let live = Self.deployment(containers: [
            ["name": "main", "image": "nginx:1.25", "ports": [["containerPort": 80, "protocol": "TCP"]]],
            ["name": "side", "image": "busybox"],
        ])
        let applied: JSON = ["spec": ["template": ["spec": ["containers": [["name": "main", "image": "nginx:1.26"], ["name": "new", "image": "redis"]]]]]]
        let merged = ServerSideApply.merge(live, applied, meta: Self.meta)
        let containers = Self.containers(merged)
        #expect(Set(containers.compactMap { $0["name"]?.string }) == ["main", "side", "new"])
        #expect(containers.count == 3)
        let main = containers.first { $0["name"] == "main" }
        #expect(main?["image"] == "nginx:1.26")
        #expect(main?["ports"] == [["containerPort": 80, "protocol": "TCP"]])
        #expect(containers.contains(["name": "side", "image": "busybox"]))
        #expect(merged["spec", "replicas"] == 3)
        #expect(merged["metadata", "labels"] == ["app": "web"])
    }

    @Test func unionsSets() {
        let live = Self.deployment(containers: [], finalizers: ["example.com/a"])
        let merged = ServerSideApply.merge(live, ["metadata": ["finalizers": ["example.com/b", "example.com/a"]]], meta: Self.meta)
        let finalizers = merged["metadata", "finalizers"]?.array ?? []
        #expect(finalizers.count == 2)
        #expect(Set(finalizers.compactMap(\.string)) == ["example.com/a", "example.com/b"])
    }

    @Test func replacesAtomicListsAndScalars() {
        let live = Self.deployment(containers: [["name": "main", "image": "nginx", "args": ["-a", "-b"], "command": ["/bin/x"]]])
        let applied: JSON = ["spec": ["replicas": 5, "template": ["spec": ["containers": [["name": "main", "args": ["-c"]]]]]]]
        let merged = ServerSideApply.merge(live, applied, meta: Self.meta)
        let main = Self.containers(merged)[0]
        #expect(main["args"] == ["-c"])
        #expect(main["command"] == ["/bin/x"])
        #expect(main["image"] == "nginx")
        #expect(merged["spec", "replicas"] == 5)
    }

    @Test func nullRemovesAndMissingLiveTakesTheApplied() {
        let live = Self.deployment(containers: [], labels: ["app": "web", "tier": "front"])
        let merged = ServerSideApply.merge(live, ["metadata": ["labels": ["tier": .null]]], meta: Self.meta)
        #expect(merged["metadata", "labels"] == ["app": "web"])
        let fresh: JSON = ["spec": ["replicas": 1]]
        #expect(ServerSideApply.merge(nil, fresh, meta: Self.meta) == fresh)
    }

    @Test func removesPaths() throws {
        let live = Self.deployment(containers: [
            ["name": "main", "image": "nginx", "args": ["-a"]],
            ["name": "side", "image": "busybox"],
        ], finalizers: ["example.com/a", "example.com/b"], labels: ["app": "web", "tier": "front"])
        let set = FieldSet.of(live, meta: Self.meta)
        let main = try #require(set.paths.first { $0.description == #".spec.template.spec.containers[name="main"].args"# })
        let side = try #require(set.paths.first { $0.description == #".spec.template.spec.containers[name="side"]"# })
        let tier = try #require(set.paths.first { $0.description == ".metadata.labels.tier" })
        let finalizer = try #require(set.paths.first { $0.description == #".metadata.finalizers[="example.com/a"]"# })
        let missing = FieldPath([.field("spec"), .field("paused")])
        let out = ServerSideApply.remove(Set([main, side, tier, finalizer, missing]), from: live)
        #expect(Self.containers(out) == [["name": "main", "image": "nginx"]])
        #expect(out["metadata", "labels"] == ["app": "web"])
        #expect(out["metadata", "finalizers"] == ["example.com/b"])
        #expect(out["spec", "replicas"] == 3)
        #expect(ServerSideApply.remove(Set<FieldPath>(), from: live) == live)
    }

    static func entry(_ manager: String, _ operation: String = "Update", subresource: String = "", owns object: JSON) -> ManagedFieldsEntry {
        ManagedFieldsEntry(manager: manager, operation: operation, apiVersion: "apps/v1", time: "2026-01-01T00:00:00Z",
                           subresource: subresource, fields: FieldSet.of(object, meta: meta))
    }

    static func conflicts(applying applied: JSON, to live: JSON, entries: [ManagedFieldsEntry], as manager: String = "me") -> [ServerSideApply.Conflict] {
        ServerSideApply.conflicts(appliedSet: FieldSet.of(applied, meta: meta), applied: applied, live: live, entries: entries, manager: manager)
    }

    @Test func conflictOnlyWhereAnotherManagerOwnsADifferentValue() {
        let live = Self.deployment(replicas: 3, containers: [["name": "main", "image": "nginx:1.25"]])
        let entries = [Self.entry("kubectl", owns: ["spec": ["replicas": 3]]),
                       Self.entry("me", "Apply", owns: ["spec": ["template": ["spec": ["containers": [["name": "main", "image": "x"]]]]]])]
        let differs: JSON = ["spec": ["replicas": 5]]
        let found = Self.conflicts(applying: differs, to: live, entries: entries)
        #expect(found.count == 1)
        #expect(found.first?.manager == "kubectl")
        #expect(found.first?.paths.map(\.description) == [".spec.replicas"])

        #expect(Self.conflicts(applying: ["spec": ["replicas": 3]], to: live, entries: entries).isEmpty)
        // The applier's own fields never conflict.
        let image: JSON = ["spec": ["template": ["spec": ["containers": [["name": "main", "image": "nginx:1.26"]]]]]]
        #expect(Self.conflicts(applying: image, to: live, entries: entries).isEmpty)
        // Nor does a member (a map or list element) that both hold.
        let labels = Self.entry("kubectl", owns: ["metadata": ["labels": ["app": "web"]]])
        #expect(Self.conflicts(applying: ["metadata": ["labels": ["tier": "x"]]], to: live, entries: [labels]).isEmpty)
    }

    @Test func conflictMessageForOneField() {
        let live = Self.deployment(replicas: 3, containers: [])
        let found = Self.conflicts(applying: ["spec": ["replicas": 5]], to: live, entries: [Self.entry("kubectl", owns: ["spec": ["replicas": 3]])])
        #expect(ServerSideApply.conflictMessage(found) == #"Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas"#)
    }

    @Test func conflictMessageNamesAppliersWithoutVersion() {
        let live = Self.deployment(replicas: 3, containers: [])
        let found = Self.conflicts(applying: ["spec": ["replicas": 5]], to: live, entries: [Self.entry("helm", "Apply", owns: ["spec": ["replicas": 3]])])
        #expect(ServerSideApply.conflictMessage(found) == #"Apply failed with 1 conflict: conflict with "helm": .spec.replicas"#)
    }

    @Test func conflictMessageNamesTheSubresource() {
        var live = Self.deployment(replicas: 3, containers: [])
        live["status"] = ["replicas": 3]
        let found = Self.conflicts(applying: ["status": ["replicas": 1]], to: live,
                                   entries: [Self.entry("kube-controller-manager", subresource: "status", owns: ["status": ["replicas": 3]])])
        #expect(ServerSideApply.conflictMessage(found)
            == #"Apply failed with 1 conflict: conflict with "kube-controller-manager" with subresource "status" using apps/v1: .status.replicas"#)
    }

    @Test func conflictMessageListsPathsPerManager() {
        let live = Self.deployment(replicas: 3, containers: [["name": "main", "image": "nginx:1.25"]])
        let entries = [
            Self.entry("zeta", owns: ["spec": ["template": ["spec": ["containers": [["name": "main", "image": "nginx:1.25"]]]]]]),
            Self.entry("alpha", "Apply", owns: ["spec": ["replicas": 3]]),
        ]
        let applied: JSON = ["spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "main", "image": "nginx:1.26"]]]]]]
        let found = Self.conflicts(applying: applied, to: live, entries: entries)
        #expect(ServerSideApply.conflictMessage(found) == """
            Apply failed with 2 conflicts: conflicts with "alpha":
            - .spec.replicas
            conflicts with "zeta" using apps/v1:
            - .spec.template.spec.containers[name="main"].image
            """)

        let one = [Self.entry("kubectl", owns: ["spec": ["replicas": 3, "template": ["spec": ["containers": [["name": "main", "image": "nginx:1.25"]]]]]])]
        #expect(ServerSideApply.conflictMessage(Self.conflicts(applying: applied, to: live, entries: one)) == """
            Apply failed with 2 conflicts: conflicts with "kubectl" using apps/v1:
            - .spec.replicas
            - .spec.template.spec.containers[name="main"].image
            """)
    }
}
