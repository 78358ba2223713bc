import Testing
import SkiffModel
@testable import SkiffAPIServer

/// `metadata.managedFields` bookkeeping for Update operations.
@Suite struct FieldManagerTests {
    static let deployments = BuiltinKinds.all.first { $0.plural == "deployments" }!
    static let configMaps = BuiltinKinds.all.first { $0.plural == "configmaps" }!
    static let kubectl = FieldManager(manager: "kubectl", apiVersion: "apps/v1")
    static let hpa = FieldManager(manager: "hpa", apiVersion: "apps/v1")

    static func entries(_ object: JSON) -> [String: ManagedFieldsEntry] {
        Dictionary(ManagedFieldsEntry.decode(object).map { ($0.manager + "/" + $0.subresource, $0) }) { a, _ in a }
    }

    static func owned(_ object: JSON, by key: String) -> Set<String> {
        Set((entries(object)[key]?.fields.paths ?? []).map(\.description))
    }

    static var created: JSON {
        var d: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web", "team": "a"]],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "main", "image": "nginx:1.25"]]]]],
        ]
        kubectl.trackUpdate(&d, old: nil, type: deployments)
        return d
    }

    @Test func createOwnsEverythingItSets() throws {
        let d = Self.created
        let entry = try #require(Self.entries(d)["kubectl/"])
        #expect(entry.operation == "Update")
        #expect(entry.apiVersion == "apps/v1")
        #expect(Timestamp.parse(entry.time) != nil)
        #expect(Self.owned(d, by: "kubectl/") == [
            ".metadata.labels", ".metadata.labels.app", ".metadata.labels.team", ".spec.replicas",
            #".spec.template.spec.containers[name="main"]"#, #".spec.template.spec.containers[name="main"].image"#,
            #".spec.template.spec.containers[name="main"].name"#,
        ])
        let json = try #require(d["metadata", "managedFields"]?.array?.first)
        #expect(json["fieldsType"] == "FieldsV1")
        #expect(json["subresource"] == nil)
    }

    @Test func changedFieldMovesToTheWriter() {
        let old = Self.created
        var new = old
        new["spec", "replicas"] = 4
        Self.hpa.trackUpdate(&new, old: old, type: Self.deployments)
        #expect(Self.owned(new, by: "hpa/") == [".spec.replicas"])
        #expect(!Self.owned(new, by: "kubectl/").contains(".spec.replicas"))
        #expect(Self.owned(new, by: "kubectl/").contains(".metadata.labels.app"))
    }

    @Test func addedFieldGoesToTheWriterAlone() {
        let old = Self.created
        var new = old
        new["metadata", "labels", "owner"] = "hpa"
        Self.hpa.trackUpdate(&new, old: old, type: Self.deployments)
        #expect(Self.owned(new, by: "hpa/") == [".metadata.labels.owner"])
        #expect(Self.owned(new, by: "kubectl/").contains(".metadata.labels"))
    }

    @Test func removedFieldsLeaveEveryManager() {
        let old = Self.created
        var new = old
        new["metadata", "labels", "team"] = nil
        Self.hpa.trackUpdate(&new, old: old, type: Self.deployments)
        #expect(!Self.owned(new, by: "kubectl/").contains(".metadata.labels.team"))
        // Removing is not setting: the writer gains nothing, so it gets no entry.
        #expect(Self.entries(new)["hpa/"] == nil)
    }

    @Test func unchangedWriteAddsNoEntry() {
        let old = Self.created
        var new = old
        Self.hpa.trackUpdate(&new, old: old, type: Self.deployments)
        #expect(new == old)
    }

    @Test func onlyChangedLeavesMove() {
        let old = Self.created
        var new = old
        new["spec", "replicas"] = 2
        new["metadata", "labels"] = ["app": "v2", "team": "b"]
        new["spec", "template", "spec", "containers"] = [["name": "main", "image": "nginx:2"]]
        Self.hpa.trackUpdate(&new, old: old, type: Self.deployments)
        let kubectl = Self.owned(new, by: "kubectl/")
        // Members whose contents changed stay with their owner: only changed leaves move.
        #expect(kubectl == [".metadata.labels", #".spec.template.spec.containers[name="main"]"#, #".spec.template.spec.containers[name="main"].name"#])
    }

    @Test func mainWritesIgnoreStatusAndStatusWritesOnlySeeStatus() throws {
        let old = Self.created
        var new = old
        new["status"] = ["replicas": 1]
        new["spec", "replicas"] = 9
        let controller = FieldManager(manager: "kube-controller-manager", apiVersion: "apps/v1", subresource: "status")
        controller.trackUpdate(&new, old: old, type: Self.deployments)
        #expect(Self.owned(new, by: "kube-controller-manager/status") == [".status.replicas"])
        let entry = try #require(new["metadata", "managedFields"]?.array?.first { $0["manager"] == "kube-controller-manager" })
        #expect(entry["subresource"] == "status")

        var main = old
        main["status"] = ["replicas": 1]
        Self.hpa.trackUpdate(&main, old: old, type: Self.deployments)
        #expect(Self.entries(main)["hpa/"] == nil)
    }

    @Test func statusOfKindsWithoutTheSubresourceIsTracked() {
        var cm: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"], "data": ["k": "v"]]
        FieldManager(manager: "kubectl", apiVersion: "v1").trackUpdate(&cm, old: nil, type: Self.configMaps)
        #expect(Self.owned(cm, by: "kubectl/") == [".data", ".data.k"])
    }

    @Test func clientMayResetManagedFields() {
        let old = Self.created
        var new = old
        new["metadata", "managedFields"] = [[
            "manager": "imported", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": ["f:spec": ["f:replicas": [:]]],
        ]]
        new["spec", "replicas"] = 2
        Self.kubectl.trackUpdate(&new, old: old, type: Self.deployments)
        #expect(Self.owned(new, by: "imported/") == [])
        #expect(Self.owned(new, by: "kubectl/") == [".spec.replicas"])
    }

    @Test func repeatedWritesShareOneEntry() {
        var d = Self.created
        for replicas: Int64 in 2...4 {
            let old = d
            d["spec", "replicas"] = .int(replicas)
            Self.hpa.trackUpdate(&d, old: old, type: Self.deployments)
        }
        #expect(ManagedFieldsEntry.decode(d).filter { $0.manager == "hpa" }.count == 1)
        #expect(Self.owned(d, by: "hpa/") == [".spec.replicas"])
    }

    @Test func anEntryTheWriteLeavesAloneIsKeptAsStored() throws {
        var old = Self.created
        // As another server might have written it: members in another order, an odd time format.
        let stored: JSON = ["manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00.000Z",
                            "fieldsType": "FieldsV1", "fieldsV1": ["f:metadata": ["f:labels": ["f:app": [:], ".": [:], "f:team": [:]]]]]
        old["metadata", "managedFields"] = [stored]
        var new = old
        new["status"] = ["replicas": 1]
        FieldManager(manager: "kube-controller-manager", apiVersion: "apps/v1", subresource: "status")
            .trackUpdate(&new, old: old, type: Self.deployments)
        let entries = try #require(new["metadata", "managedFields"]?.array)
        #expect(entries.count == 2)
        #expect(entries.first == stored)
    }
}
