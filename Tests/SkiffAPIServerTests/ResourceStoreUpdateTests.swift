import Testing
import SkiffModel
@testable import SkiffAPIServer

@Suite(.timeLimit(.minutes(1))) struct ResourceStoreUpdateTests {
    @Test func staleResourceVersionIsAConflict() async throws {
        try await StoreFixture.with { f in
            let v1 = try await f.create(f.configMaps, Fixtures.configMap("c"))
            var edit = v1
            edit["data", "k"] = "v2"
            let v2 = try await f.update(f.configMaps, edit)
            #expect(v2["metadata", "resourceVersion"] != v1["metadata", "resourceVersion"])
            #expect(v2["data", "k"] == "v2")

            edit["data", "k"] = "v3"  // still carries v1's resourceVersion
            let error = await apiError { try await f.update(f.configMaps, edit) }
            #expect(error?.code == 409)
            #expect(error?.reason == "Conflict")
            #expect(error?.message == #"Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again"#)
            #expect(try await f.get(f.configMaps, "default", "c")["data", "k"] == "v2")
        }
    }

    @Test(arguments: [JSON?.none, .some(""), .some(.null)])
    func updateWithoutResourceVersionIsUnconditional(resourceVersion: JSON?) async throws {
        try await StoreFixture.with { f in
            let created = try await f.create(f.configMaps, Fixtures.configMap("c"))
            var edit = created
            edit["data", "k"] = "forced"
            edit["metadata", "resourceVersion"] = resourceVersion
            let updated = try await f.update(f.configMaps, edit)
            #expect(updated["data", "k"] == "forced")
            #expect(updated["metadata", "uid"] == created["metadata", "uid"])
            #expect(updated["metadata", "creationTimestamp"] == created["metadata", "creationTimestamp"])
        }
    }

    @Test func updateOfMissingObjectIsNotFound() async throws {
        try await StoreFixture.with { f in
            let error = await apiError { try await f.update(f.configMaps, Fixtures.configMap("ghost")) }
            #expect(error?.code == 404)
            #expect(error?.message == #"configmaps "ghost" not found"#)
        }
    }

    @Test func changedUIDIsAPreconditionConflict() async throws {
        try await StoreFixture.with { f in
            let created = try await f.create(f.configMaps, Fixtures.configMap("c"))
            var edit = created
            edit["metadata", "uid"] = "00000000-0000-0000-0000-000000000000"
            let error = await apiError { try await f.update(f.configMaps, edit) }
            #expect(error?.code == 409)
            #expect(error?.message.contains("Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: \(created["metadata", "uid"]?.string ?? "")") == true)
        }
    }

    @Test func mainUpdateKeepsStatus() async throws {
        try await StoreFixture.with { f in
            var d = try await f.create(f.deployments, Fixtures.deployment("web"))
            d["status"] = ["replicas": 5]
            d["spec", "replicas"] = 2
            let updated = try await f.update(f.deployments, d)
            #expect(updated["status"] == nil)
            #expect(updated["spec", "replicas"] == 2)
        }
    }

    @Test func statusUpdateKeepsSpecAndMetadata() async throws {
        try await StoreFixture.with { f in
            var d = try await f.create(f.deployments, Fixtures.deployment("web"))
            d["status"] = ["replicas": 1, "readyReplicas": 1]
            d["spec", "replicas"] = 9
            d["metadata", "labels"] = ["sneaky": "yes"]
            let updated = try await f.update(f.deployments, d, target: .status)
            #expect(updated["status"] == ["replicas": 1, "readyReplicas": 1])
            #expect(updated["spec", "replicas"] == 1)
            #expect(updated["metadata", "labels"] == nil)
            #expect(updated["metadata", "generation"] == 1)
            #expect(try await f.get(f.deployments, "default", "web")["status", "readyReplicas"] == 1)
        }
    }

    @Test func generationMovesOnlyWithSpec() async throws {
        try await StoreFixture.with { f in
            var d = try await f.create(f.deployments, Fixtures.deployment("web"))
            #expect(d["metadata", "generation"] == 1)

            d["metadata", "labels"] = ["team": "a"]
            d = try await f.update(f.deployments, d)
            #expect(d["metadata", "generation"] == 1)

            d["spec", "replicas"] = 3
            d = try await f.update(f.deployments, d)
            #expect(d["metadata", "generation"] == 2)

            d["spec", "template", "metadata", "labels", "app"] = "web"  // unchanged
            d["metadata", "generation"] = 40  // clients cannot set it
            d = try await f.update(f.deployments, d)
            #expect(d["metadata", "generation"] == 2)

            var image = d
            image["spec", "template", "spec", "containers"] = [["name": "main", "image": "nginx:1.26"]]
            d = try await f.update(f.deployments, image)
            #expect(d["metadata", "generation"] == 3)
        }
    }

    @Test func noOpUpdateKeepsResourceVersion() async throws {
        try await StoreFixture.with { f in
            let manager = FieldManager(manager: "kubectl-edit", apiVersion: "v1")
            let created = try await f.create(f.configMaps, Fixtures.configMap("c"), manager: manager)
            let before = try await f.backend.currentRevision()
            let same = try await f.update(f.configMaps, created, manager: manager)
            #expect(same["metadata", "resourceVersion"] == created["metadata", "resourceVersion"])
            #expect(try await f.backend.currentRevision() == before)
            // Another manager writing the same values changes nothing either.
            let other = try await f.update(f.configMaps, created, manager: FieldManager(manager: "other", apiVersion: "v1"))
            #expect(other["metadata", "resourceVersion"] == created["metadata", "resourceVersion"])
        }
    }

    @Test func immutableConfigMapRejectsDataChanges() async throws {
        try await StoreFixture.with { f in
            var cm = Fixtures.configMap("frozen")
            cm["immutable"] = true
            var created = try await f.create(f.configMaps, cm)
            created["data", "k"] = "changed"
            let error = await apiError { try await f.update(f.configMaps, created) }
            #expect(error?.code == 422)
            #expect(error?.message == #"ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set"#)
        }
    }

    @Test func readsSeeTheirWrites() async throws {
        try await StoreFixture.with { f in
            var cm = try await f.create(f.configMaps, Fixtures.configMap("c"))
            for i in 0..<20 {
                cm["data", "k"] = .string("v\(i)")
                cm = try await f.update(f.configMaps, cm)
                let read = try await f.get(f.configMaps, "default", "c")
                #expect(read["data", "k"] == .string("v\(i)"))
                #expect(read["metadata", "resourceVersion"] == cm["metadata", "resourceVersion"])
            }
        }
    }
}
