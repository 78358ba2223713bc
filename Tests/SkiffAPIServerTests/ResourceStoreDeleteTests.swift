import Testing
import SkiffModel
@testable import SkiffAPIServer

@Suite(.timeLimit(.minutes(1))) struct ResourceStoreDeleteTests {
    @Test func deleteRemovesTheObject() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.configMaps, Fixtures.configMap("c"))
            guard case .deleted(let gone) = try await f.delete(f.configMaps, "default", "c") else {
                Issue.record("expected the object to be deleted at once")
                return
            }
            #expect(gone["metadata", "name"] == "c")
            #expect(await apiError { _ = try await f.get(f.configMaps, "default", "c") }?.code == 404)
            let again = await apiError { _ = try await f.delete(f.configMaps, "default", "c") }
            #expect(again?.code == 404)
            #expect(again?.message == #"configmaps "c" not found"#)
            // The name is free again.
            try await f.create(f.configMaps, Fixtures.configMap("c"))
        }
    }

    @Test func finalizersHoldTheObjectUntilTheLastIsRemoved() async throws {
        try await StoreFixture.with { f in
            var cm = Fixtures.configMap("held")
            cm["metadata", "finalizers"] = ["example.com/a", "example.com/b"]
            try await f.create(f.configMaps, cm)
            guard case .pending(let marked) = try await f.delete(f.configMaps, "default", "held") else {
                Issue.record("expected the object to wait for its finalizers")
                return
            }
            let stamp = try #require(marked["metadata", "deletionTimestamp"]?.string)
            #expect(Timestamp.parse(stamp) != nil)
            #expect(marked["metadata", "deletionGracePeriodSeconds"] == 0)

            var current = try await f.get(f.configMaps, "default", "held")
            #expect(current["metadata", "deletionTimestamp"]?.string == stamp)

            // No new finalizers once deleting.
            var adding = current
            adding["metadata", "finalizers"] = ["example.com/a", "example.com/b", "example.com/c"]
            let error = await apiError { try await f.update(f.configMaps, adding) }
            #expect(error?.code == 422)
            #expect(error?.message.contains("no new finalizers can be added if the object is being deleted") == true)

            current["metadata", "finalizers"] = ["example.com/b"]
            current = try await f.update(f.configMaps, current)
            #expect(current["metadata", "deletionTimestamp"]?.string == stamp)
            #expect(try await f.get(f.configMaps, "default", "held")["metadata", "finalizers"] == ["example.com/b"])

            current["metadata", "finalizers"] = nil
            try await f.update(f.configMaps, current)
            #expect(await apiError { _ = try await f.get(f.configMaps, "default", "held") }?.code == 404)
        }
    }

    @Test func markingForDeletionBumpsGeneration() async throws {
        try await StoreFixture.with { f in
            var d = Fixtures.deployment("web")
            d["metadata", "finalizers"] = ["example.com/hold"]
            try await f.create(f.deployments, d)
            guard case .pending(let marked) = try await f.delete(f.deployments, "default", "web") else {
                Issue.record("expected the object to wait for its finalizer")
                return
            }
            #expect(marked["metadata", "generation"] == 2)
            // A second delete does not mark it again.
            guard case .pending(let again) = try await f.delete(f.deployments, "default", "web") else {
                Issue.record("expected the object to still wait")
                return
            }
            #expect(again["metadata", "generation"] == 2)
        }
    }

    @Test(arguments: [("Foreground", "foregroundDeletion"), ("Orphan", "orphan")])
    func propagationPolicyAddsItsFinalizer(policy: String, finalizer: String) async throws {
        try await StoreFixture.with { f in
            try await f.create(f.deployments, Fixtures.deployment("web"))
            let result = try await f.delete(f.deployments, "default", "web") { $0.propagationPolicy = policy }
            guard case .pending(let marked) = result else {
                Issue.record("expected \(policy) deletion to wait for the garbage collector")
                return
            }
            #expect(marked["metadata", "finalizers"] == [.string(finalizer)])
            #expect(marked["metadata", "deletionTimestamp"] != nil)
            let stored = try await f.get(f.deployments, "default", "web")
            #expect(stored["metadata", "finalizers"] == [.string(finalizer)])
        }
    }

    @Test func backgroundPropagationDeletesAtOnce() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.deployments, Fixtures.deployment("web"))
            let result = try await f.delete(f.deployments, "default", "web") { $0.propagationPolicy = "Background" }
            guard case .deleted = result else {
                Issue.record("expected Background deletion to remove the object")
                return
            }
        }
    }

    @Test func propagationPolicyFromQueryAndBody() throws {
        #expect(try DeleteOptions(body: nil, query: ["propagationPolicy": "Foreground"]).propagationPolicy == "Foreground")
        #expect(try DeleteOptions(body: ["orphanDependents": true], query: [:]).propagationPolicy == "Orphan")
        #expect(try DeleteOptions(body: ["propagationPolicy": "Background"], query: ["propagationPolicy": "Orphan"]).propagationPolicy == "Orphan")
        #expect(throws: APIError.self) { try DeleteOptions(body: nil, query: ["propagationPolicy": "Sideways"]) }
        #expect(try DeleteOptions(body: nil, query: ["gracePeriodSeconds": "-3"]).gracePeriodSeconds == 0)
    }

    @Test func uidPrecondition() async throws {
        try await StoreFixture.with { f in
            let created = try await f.create(f.configMaps, Fixtures.configMap("c"))
            let uid = try #require(created["metadata", "uid"]?.string)
            let error = await apiError { _ = try await f.delete(f.configMaps, "default", "c") { $0.preconditionUID = "other" } }
            #expect(error?.code == 409)
            #expect(error?.reason == "Conflict")
            #expect(error?.message == #"Operation cannot be fulfilled on ConfigMap "c": the UID in the precondition (other) does not match the UID in record (\#(uid)). The object might have been deleted and then recreated"#)
            #expect(error?.details?.kind == "ConfigMap")
            let result = try await f.delete(f.configMaps, "default", "c") { $0.preconditionUID = uid }
            guard case .deleted = result else {
                Issue.record("a matching UID precondition deletes")
                return
            }
        }
    }

    @Test func resourceVersionPrecondition() async throws {
        try await StoreFixture.with { f in
            let v1 = try await f.create(f.configMaps, Fixtures.configMap("c"))
            var edit = v1
            edit["data", "k"] = "changed"
            let v2 = try await f.update(f.configMaps, edit)
            let old = try #require(v1["metadata", "resourceVersion"]?.string)
            let now = try #require(v2["metadata", "resourceVersion"]?.string)
            let error = await apiError { _ = try await f.delete(f.configMaps, "default", "c") { $0.preconditionResourceVersion = old } }
            #expect(error?.code == 409)
            #expect(error?.message == #"Operation cannot be fulfilled on ConfigMap "c": the ResourceVersion in the precondition (\#(old)) does not match the ResourceVersion in record (\#(now)). The object might have been modified"#)
            let result = try await f.delete(f.configMaps, "default", "c") { $0.preconditionResourceVersion = now }
            guard case .deleted = result else {
                Issue.record("a matching resourceVersion precondition deletes")
                return
            }
        }
    }

    @Test func unboundPodIsDeletedAtOnce() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.pods, Fixtures.pod("p"))
            guard case .deleted = try await f.delete(f.pods, "default", "p") else {
                Issue.record("a pod on no node has nothing to wait for")
                return
            }
        }
    }

    @Test func boundPodIsDeletedGracefully() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.pods, Fixtures.pod("p", nodeName: "node-1"))
            let before = Timestamp.now()
            guard case .pending(let marked) = try await f.delete(f.pods, "default", "p") else {
                Issue.record("a running pod gets its grace period")
                return
            }
            #expect(marked["metadata", "deletionGracePeriodSeconds"] == 30)
            let deadline = try #require(marked["metadata", "deletionTimestamp"]?.string.flatMap(Timestamp.parse))
            #expect(deadline >= before.rounded(.down) + 30)
            #expect(deadline <= Timestamp.now() + 30)
            #expect(try await f.get(f.pods, "default", "p")["metadata", "deletionTimestamp"] != nil)

            // A shorter grace period shortens it; zero (the node agent's final delete) removes the pod.
            guard case .pending(let shorter) = try await f.delete(f.pods, "default", "p", { $0.gracePeriodSeconds = 5 }) else {
                Issue.record("a shorter grace period still waits")
                return
            }
            #expect(shorter["metadata", "deletionGracePeriodSeconds"] == 5)
            guard case .pending(let longer) = try await f.delete(f.pods, "default", "p", { $0.gracePeriodSeconds = 60 }) else {
                Issue.record("a longer grace period does not extend it")
                return
            }
            #expect(longer["metadata", "deletionGracePeriodSeconds"] == 5)
            guard case .deleted = try await f.delete(f.pods, "default", "p", { $0.gracePeriodSeconds = 0 }) else {
                Issue.record("grace period 0 deletes")
                return
            }
        }
    }

    @Test(arguments: ["Succeeded", "Failed"])
    func finishedPodIsDeletedAtOnce(phase: String) async throws {
        try await StoreFixture.with { f in
            var pod = try await f.create(f.pods, Fixtures.pod("p", nodeName: "node-1"))
            pod["status", "phase"] = .string(phase)
            try await f.update(f.pods, pod, target: .status)
            guard case .deleted = try await f.delete(f.pods, "default", "p") else {
                Issue.record("a \(phase) pod has nothing left to stop")
                return
            }
        }
    }

    @Test func dryRunDeleteKeepsTheObject() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.configMaps, Fixtures.configMap("c"))
            _ = try await f.delete(f.configMaps, "default", "c") { $0.dryRun = true }
            _ = try await f.get(f.configMaps, "default", "c")
        }
    }
}
