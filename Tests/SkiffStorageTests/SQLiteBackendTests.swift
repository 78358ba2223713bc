import SkiffStorage
import Testing

/// What only the durable backend promises: data and revisions survive reopening.
@Suite("SQLite backend", .timeLimit(.minutes(1)))
struct SQLiteBackendTests {
    @Test func reopeningKeepsDataAndRevision() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store.db"
            let first = try SQLiteBackend(path: path)
            let a = try await first.create("/a", value: bytes("a1"))
            _ = try await first.update("/a", value: bytes("a2"), expectedRevision: a)
            _ = try await first.create("/b", value: bytes("b1"))
            _ = try await first.create("/gone", value: [])
            try await first.compact(revision: 3)
            let last = try await first.delete("/gone", expectedRevision: nil).modRevision
            await first.close()

            let second = try SQLiteBackend(path: path)
            #expect(try await second.currentRevision() == last)
            #expect(try await second.compactedRevision() == 3)
            #expect(try await second.get("/a") == KeyValue(key: "/a", value: bytes("a2"), createRevision: a, modRevision: a + 1))
            #expect(try await second.list(prefix: "/", startAfter: nil, limit: 0, revision: nil).items.map(\.key) == ["/a", "/b"])
            var iterator = second.watch(prefix: "/", after: 3).makeAsyncIterator()
            #expect(try await collect(&iterator, through: last).map(\.revision) == [4, last])
            #expect(try await second.create("/c", value: []) == last + 1)
            await second.close()
        }
    }

    @Test func revisionsAreNotReusedAfterTheLastRowIsCompacted() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store.db"
            let first = try SQLiteBackend(path: path)
            _ = try await first.create("/a", value: [])
            let deleted = try await first.delete("/a", expectedRevision: nil).modRevision
            try await first.compact(revision: deleted)
            #expect(try await first.list(prefix: "", startAfter: nil, limit: 0, revision: deleted).items.isEmpty)
            await first.close()

            let second = try SQLiteBackend(path: path)
            #expect(try await second.currentRevision() == deleted)
            #expect(try await second.create("/a", value: []) == deleted + 1)
            await second.close()
        }
    }

    @Test func aSecondOpenOfTheSameDatabaseIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/store.db"
            let first = try SQLiteBackend(path: path)
            #expect(throws: StorageError.self) { _ = try SQLiteBackend(path: path) }
            await first.close()
            let again = try await openOnceUnlocked(path)
            await again.close()
        }
    }

    /// Opens the database at `path`, retrying for up to 10 s while its lock is held: a process
    /// that another test forks at the wrong moment shares the lock's descriptor until it execs
    /// (the descriptor is close-on-exec), so the lock can outlive `close()` by that long.
    func openOnceUnlocked(_ path: String) async throws -> SQLiteBackend {
        for _ in 0..<100 {
            do { return try SQLiteBackend(path: path) } catch StorageError.backend(let message) where message.contains("in use") {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return try SQLiteBackend(path: path)
    }

    @Test func compactionOfALongHistoryProceedsInSteps() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteBackend(path: directory + "/store.db")
            var revision = try await store.create("/churn", value: [])
            let keys = 25_000
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for index in stride(from: worker, to: keys, by: 8) { _ = try await store.create("/k/\(index)", value: []) }
                    }
                }
                try await group.waitForAll()
            }
            revision = try await store.update("/churn", value: [1], expectedRevision: revision)
            try await store.compact(revision: revision)
            #expect(try await store.compactedRevision() == revision)
            #expect(try await store.count(prefix: "/k/") == keys)
            #expect(try await store.get("/churn")?.value == [1])
            await store.close()
        }
    }
}
