import Testing
import SkiffModel
@testable import SkiffAPIServer

@Suite(.timeLimit(.minutes(1))) struct ResourceStoreCreateTests {
    @Test func createSetsServerOwnedMetadata() async throws {
        try await StoreFixture.with { f in
            var input = Fixtures.configMap("settings")
            input["metadata", "uid"] = "client-chosen"
            input["metadata", "selfLink"] = "/api/v1/namespaces/default/configmaps/settings"
            input["metadata", "deletionTimestamp"] = "2020-01-01T00:00:00Z"
            let created = try await f.create(f.configMaps, input)
            let uid = try #require(created["metadata", "uid"]?.string)
            #expect(uid != "client-chosen")
            #expect(uid.count == 36)
            #expect(created["metadata", "selfLink"] == nil)
            #expect(created["metadata", "deletionTimestamp"] == nil)
            let stamp = try #require(created["metadata", "creationTimestamp"]?.string)
            #expect(Timestamp.parse(stamp) != nil)
            #expect(stamp.hasSuffix("Z"))
            let rv = try #require(created["metadata", "resourceVersion"]?.string)
            #expect(Int64(rv) != nil)
            // ConfigMaps do not track generation; Deployments start at 1.
            #expect(created["metadata", "generation"] == nil)

            let read = try await f.get(f.configMaps, "default", "settings")
            #expect(read["metadata", "uid"]?.string == uid)
            #expect(read["metadata", "resourceVersion"]?.string == rv)
            #expect(read["data"] == ["k": "v"])
        }
    }

    @Test func createTracksGenerationAndClearsStatusOfWorkloads() async throws {
        try await StoreFixture.with { f in
            var input = Fixtures.deployment("web")
            input["metadata", "generation"] = 7
            input["status"] = ["replicas": 3]
            let created = try await f.create(f.deployments, input)
            #expect(created["metadata", "generation"] == 1)
            #expect(created["status"] == nil)
            // Defaults as Kubernetes applies them.
            #expect(created["spec", "strategy", "type"] == "RollingUpdate")
            #expect(created["spec", "revisionHistoryLimit"] == 10)
            #expect(created["spec", "template", "spec", "restartPolicy"] == "Always")
        }
    }

    @Test func distinctUIDsAndIncreasingResourceVersions() async throws {
        try await StoreFixture.with { f in
            let a = try await f.create(f.configMaps, Fixtures.configMap("a"))
            let b = try await f.create(f.configMaps, Fixtures.configMap("b"))
            #expect(a["metadata", "uid"] != b["metadata", "uid"])
            let rvA = Int64(a["metadata", "resourceVersion"]?.string ?? "") ?? 0
            let rvB = Int64(b["metadata", "resourceVersion"]?.string ?? "") ?? 0
            #expect(rvB > rvA)
        }
    }

    @Test func generateNameAppendsFiveCharacters() async throws {
        try await StoreFixture.with { f in
            var input = Fixtures.configMap("")
            input["metadata", "name"] = nil
            input["metadata", "generateName"] = "job-"
            let created = try await f.create(f.configMaps, input)
            let name = try #require(created["metadata", "name"]?.string)
            #expect(name.hasPrefix("job-"))
            #expect(name.count == 9)
            #expect(name.dropFirst(4).allSatisfy { ObjectMeta.generateNameAlphabet.contains($0) })
            #expect(created["metadata", "generateName"] == "job-")
            _ = try await f.get(f.configMaps, "default", name)
        }
    }

    @Test func generateNameIsTruncatedToKeepNamesShort() async throws {
        try await StoreFixture.with { f in
            var input = Fixtures.configMap("")
            input["metadata", "name"] = nil
            input["metadata", "generateName"] = .string(String(repeating: "a", count: 70))
            let created = try await f.create(f.configMaps, input)
            #expect(created["metadata", "name"]?.string?.count == 63)
        }
    }

    @Test func alreadyExists() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.configMaps, Fixtures.configMap("dup"))
            let error = await apiError { try await f.create(f.configMaps, Fixtures.configMap("dup")) }
            #expect(error?.code == 409)
            #expect(error?.reason == "AlreadyExists")
            #expect(error?.message == #"configmaps "dup" already exists"#)
            // The same name in another namespace is another object.
            try await f.create(f.configMaps, Fixtures.configMap("dup", namespace: "kube-system"))
        }
    }

    @Test func alreadyExistsNamesTheGroup() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.deployments, Fixtures.deployment("web"))
            let error = await apiError { try await f.create(f.deployments, Fixtures.deployment("web")) }
            #expect(error?.message == #"deployments.apps "web" already exists"#)
        }
    }

    @Test func createInMissingNamespaceIsNotFound() async throws {
        try await StoreFixture.with { f in
            let error = await apiError { try await f.create(f.configMaps, Fixtures.configMap("x", namespace: "nowhere")) }
            #expect(error?.code == 404)
            #expect(error?.message == #"namespaces "nowhere" not found"#)
        }
    }

    @Test func createInTerminatingNamespaceIsForbidden() async throws {
        try await StoreFixture.with { f in
            let ns: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "leaving", "finalizers": ["example.com/hold"]]]
            try await f.create(f.namespaces, ns)
            _ = try await f.delete(f.namespaces, nil, "leaving")
            let error = await apiError { try await f.create(f.configMaps, Fixtures.configMap("x", namespace: "leaving")) }
            #expect(error?.code == 403)
            #expect(error?.message.contains("because it is being terminated") == true)
        }
    }

    @Test func bootstrapNamespacesExistOnceAndIsIdempotent() async throws {
        try await StoreFixture.with { f in
            try await Bootstrap.ensureNamespaces(store: f.store, registry: f.registry)
            await f.store.sync()
            let names = await f.cache.list(resourcePrefix: f.namespaces.keyPrefix, keyPrefix: f.namespaces.keyPrefix).items.map(\.name)
            #expect(names == ["default", "kube-node-lease", "kube-public", "kube-system"])
        }
    }

    @Test func dryRunStoresNothing() async throws {
        try await StoreFixture.with { f in
            let result = try await f.store.create(f.configMaps, Fixtures.configMap("dry"), dryRun: true)
            #expect(result["metadata", "uid"] != nil)
            let error = await apiError { _ = try await f.get(f.configMaps, "default", "dry") }
            #expect(error?.code == 404)
        }
    }

    @Test func invalidNameIsRejected() async throws {
        try await StoreFixture.with { f in
            let error = await apiError { try await f.create(f.configMaps, Fixtures.configMap("Not_Valid")) }
            #expect(error?.code == 422)
            #expect(error?.reason == "Invalid")
            #expect(error?.message.hasPrefix(#"ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid""#) == true)
        }
    }
}
