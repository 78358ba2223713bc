import SkiffStorage
import Testing

/// The `StorageBackend` contract, checked identically against every backend.
@Suite("Storage conformance")
struct StorageConformanceTests {
    @Test(arguments: BackendKind.allCases)
    func createThenGet(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            #expect(try await store.currentRevision() == 0)
            let revision = try await store.create("/a", value: bytes("one"))
            #expect(revision == 1)
            #expect(try await store.get("/a") == KeyValue(key: "/a", value: bytes("one"), createRevision: 1, modRevision: 1))
            #expect(try await store.get("/missing") == nil)
            await #expect(throws: StorageError.keyExists("/a")) {
                try await store.create("/a", value: bytes("two"))
            }
            #expect(try await store.currentRevision() == 1)
            _ = try await store.create("/empty", value: [])
            #expect(try await store.get("/empty")?.value == [])
        }
    }

    @Test(arguments: BackendKind.allCases)
    func updateChecksExpectedRevision(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let created = try await store.create("/a", value: bytes("v1"))
            let updated = try await store.update("/a", value: bytes("v2"), expectedRevision: created)
            #expect(updated == created + 1)
            let current = KeyValue(key: "/a", value: bytes("v2"), createRevision: created, modRevision: updated)
            #expect(try await store.get("/a") == current)
            await #expect(throws: StorageError.conflict(current: current)) {
                try await store.update("/a", value: bytes("v3"), expectedRevision: created)
            }
            await #expect(throws: StorageError.keyNotFound("/b")) {
                try await store.update("/b", value: bytes("v1"), expectedRevision: 1)
            }
            #expect(try await store.currentRevision() == updated)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func deleteWithAndWithoutPrecondition(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let a = try await store.create("/a", value: bytes("a"))
            let b = try await store.create("/b", value: bytes("b"))
            let deleted = try await store.delete("/a", expectedRevision: nil)
            #expect(deleted == KeyValue(key: "/a", value: bytes("a"), createRevision: a, modRevision: b + 1))
            #expect(try await store.get("/a") == nil)
            await #expect(throws: StorageError.keyNotFound("/a")) {
                try await store.delete("/a", expectedRevision: nil)
            }
            let current = try #require(try await store.get("/b"))
            await #expect(throws: StorageError.conflict(current: current)) {
                try await store.delete("/b", expectedRevision: a)
            }
            let second = try await store.delete("/b", expectedRevision: b)
            #expect(second.modRevision == b + 2)
            let recreated = try await store.create("/a", value: bytes("again"))
            #expect(try await store.get("/a") == KeyValue(key: "/a", value: bytes("again"), createRevision: recreated, modRevision: recreated))
        }
    }

    @Test(arguments: BackendKind.allCases)
    func listByPrefixInKeyOrder(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            for key in ["/pods/ns2/c", "/pods/ns1/b", "/podsx/z", "/pods/ns1/a", "/pod", "/pods/ns10/d", "/services/s"] {
                _ = try await store.create(key, value: bytes(key))
            }
            let all = try await store.list(prefix: "/pods/", startAfter: nil, limit: 0, revision: nil)
            #expect(all.items.map(\.key) == ["/pods/ns1/a", "/pods/ns1/b", "/pods/ns10/d", "/pods/ns2/c"])
            #expect(all.items.allSatisfy { $0.value == bytes($0.key) })
            #expect(all.revision == 7)
            #expect(!all.more)

            let first = try await store.list(prefix: "/pods/", startAfter: nil, limit: 2, revision: nil)
            #expect(first.items.map(\.key) == ["/pods/ns1/a", "/pods/ns1/b"])
            #expect(first.more)
            let second = try await store.list(prefix: "/pods/", startAfter: first.items.last?.key, limit: 2, revision: first.revision)
            #expect(second.items.map(\.key) == ["/pods/ns10/d", "/pods/ns2/c"])
            #expect(!second.more)
            let exact = try await store.list(prefix: "/pods/", startAfter: nil, limit: 4, revision: nil)
            #expect(exact.items.count == 4 && !exact.more)

            let everything = try await store.list(prefix: "", startAfter: "/pods/ns2/c", limit: 0, revision: nil)
            #expect(everything.items.map(\.key) == ["/podsx/z", "/services/s"])
            let none = try await store.list(prefix: "/nodes/", startAfter: nil, limit: 0, revision: nil)
            #expect(none.items.isEmpty && !none.more)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func listAtAnOldRevision(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let a = try await store.create("/k/a", value: bytes("a1"))
            let b = try await store.create("/k/b", value: bytes("b1"))
            let snapshot = try await store.currentRevision()
            _ = try await store.update("/k/a", value: bytes("a2"), expectedRevision: a)
            _ = try await store.delete("/k/b", expectedRevision: b)
            _ = try await store.create("/k/c", value: bytes("c1"))

            let old = try await store.list(prefix: "/k/", startAfter: nil, limit: 0, revision: snapshot)
            #expect(old.revision == snapshot)
            #expect(old.items == [
                KeyValue(key: "/k/a", value: bytes("a1"), createRevision: a, modRevision: a),
                KeyValue(key: "/k/b", value: bytes("b1"), createRevision: b, modRevision: b),
            ])
            let paged = try await store.list(prefix: "/k/", startAfter: "/k/a", limit: 1, revision: snapshot)
            #expect(paged.items.map(\.key) == ["/k/b"] && !paged.more)
            let now = try await store.list(prefix: "/k/", startAfter: nil, limit: 0, revision: nil)
            #expect(now.items.map { String(decoding: $0.value, as: UTF8.self) } == ["a2", "c1"])
            let future = try await store.currentRevision() + 1
            await #expect(throws: StorageError.futureRevision(requested: future, current: future - 1)) {
                try await store.list(prefix: "/k/", startAfter: nil, limit: 0, revision: future)
            }
        }
    }

    @Test(arguments: BackendKind.allCases)
    func countByPrefix(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            for index in 0..<5 { _ = try await store.create("/a/\(index)", value: []) }
            _ = try await store.create("/b/0", value: [])
            _ = try await store.delete("/a/3", expectedRevision: nil)
            #expect(try await store.count(prefix: "/a/") == 4)
            #expect(try await store.count(prefix: "/b/") == 1)
            #expect(try await store.count(prefix: "") == 5)
            #expect(try await store.count(prefix: "/c/") == 0)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func revisionsStrictlyIncrease(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            var revisions: [Int64] = []
            revisions.append(try await store.create("/x", value: []))
            revisions.append(try await store.update("/x", value: [1], expectedRevision: revisions[0]))
            revisions.append(try await store.create("/y", value: []))
            _ = try? await store.create("/y", value: [])
            revisions.append(try await store.delete("/x", expectedRevision: nil).modRevision)
            revisions.append(try await store.create("/x", value: []))
            #expect(revisions == [1, 2, 3, 4, 5])
            #expect(try await store.currentRevision() == 5)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func concurrentCreatesAreAllAcknowledged(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<200 {
                    group.addTask { try await store.create("/c/\(index)", value: bytes("\(index)")) }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(Set(revisions) == Set(1...200))
            let listed = try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: nil)
            #expect(listed.items.count == 200)
            #expect(listed.revision == 200)
            #expect(Set(listed.items.map(\.modRevision)) == Set(1...200))
            #expect(try await store.count(prefix: "/c/") == 200)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func concurrentUpdatesOfOneKeyConflict(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let created = try await store.create("/race", value: [])
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        (try? await store.update("/race", value: [UInt8(index)], expectedRevision: created)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await store.currentRevision() == created + 1)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func closedStoreRefusesWork(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            _ = try await store.create("/a", value: [])
            await store.close()
            await #expect(throws: StorageError.self) { try await store.get("/a") }
            await #expect(throws: StorageError.self) { try await store.create("/b", value: []) }
        }
    }
}
