import SkiffStorage
import Testing

/// Watch and compaction, checked identically against every backend.
@Suite("Watch and compaction conformance", .timeLimit(.minutes(1)))
struct WatchConformanceTests {
    @Test(arguments: BackendKind.allCases)
    func watchReplaysHistoryThenStreamsLiveEvents(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let a = try await store.create("/w/a", value: bytes("a1"))
            _ = try await store.create("/other", value: [])
            let a2 = try await store.update("/w/a", value: bytes("a2"), expectedRevision: a)
            let b = try await store.create("/w/b", value: bytes("b1"))
            for index in 0..<7 { _ = try await store.create("/w/n\(index)", value: []) }

            var iterator = store.watch(prefix: "/w/", after: a).makeAsyncIterator()
            let replayed = try await collect(&iterator, through: try await store.currentRevision())
            #expect(replayed.map(\.revision) == [a2, b] + Array(b + 1...b + 7))
            #expect(replayed[0] == WatchEvent(
                kind: .put,
                kv: KeyValue(key: "/w/a", value: bytes("a2"), createRevision: a, modRevision: a2),
                previous: KeyValue(key: "/w/a", value: bytes("a1"), createRevision: a, modRevision: a)))
            #expect(replayed[1].previous == nil)

            _ = try await store.create("/other2", value: [])
            let deleted = try await store.delete("/w/b", expectedRevision: b)
            let created = try await store.create("/w/c", value: bytes("c1"))
            let live = try await collect(&iterator, through: created)
            #expect(live.map(\.revision) == [deleted.modRevision, created])
            #expect(live[0] == WatchEvent(
                kind: .delete,
                kv: KeyValue(key: "/w/b", value: bytes("b1"), createRevision: b, modRevision: deleted.modRevision),
                previous: KeyValue(key: "/w/b", value: bytes("b1"), createRevision: b, modRevision: b)))
        }
    }

    @Test(arguments: BackendKind.allCases)
    func watchStartedDuringWritesHasNoGapsOrDuplicates(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let total: Int64 = 300
            let writers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<4 {
                        group.addTask {
                            for index in 0..<Int(total) / 4 { _ = try await store.create("/g/\(worker)-\(index)", value: []) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            var revisions: [Int64] = []
            for try await batch in store.watch(prefix: "/g/", after: 0) {
                revisions += batch.map(\.revision)
                if revisions.last == total { break }
            }
            try await writers.value
            #expect(revisions == Array(1...total))
        }
    }

    @Test(arguments: BackendKind.allCases)
    func watchFromTheFutureWaitsForThatRevision(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            var iterator = store.watch(prefix: "", after: 2).makeAsyncIterator()
            for index in 1...4 { _ = try await store.create("/f/\(index)", value: []) }
            #expect(try await collect(&iterator, through: 4).map(\.revision) == [3, 4])
        }
    }

    @Test(arguments: BackendKind.allCases)
    func watchOnACompactedRevisionFails(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let first = try await store.create("/k", value: [1])
            let second = try await store.update("/k", value: [2], expectedRevision: first)
            _ = try await store.update("/k", value: [3], expectedRevision: second)
            try await store.compact(revision: second)
            #expect(try await store.compactedRevision() == second)

            var failing = store.watch(prefix: "/", after: first).makeAsyncIterator()
            await #expect(throws: StorageError.compacted(requested: first, oldest: second)) {
                _ = try await failing.next()
            }
            var working = store.watch(prefix: "/", after: second).makeAsyncIterator()
            #expect(try await collect(&working, through: second + 1).map(\.revision) == [second + 1])
        }
    }

    @Test(arguments: BackendKind.allCases)
    func compactionKeepsCurrentValuesAndTheCompactedState(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            for index in 0..<10 { _ = try await store.create("/c/\(index)", value: [0]) }
            for round in 1...5 {
                for index in 0..<10 {
                    let current = try #require(try await store.get("/c/\(index)"))
                    _ = try await store.update("/c/\(index)", value: [UInt8(round)], expectedRevision: current.modRevision)
                }
            }
            _ = try await store.delete("/c/9", expectedRevision: nil)
            let before = try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: nil)
            let target = try await store.currentRevision()
            _ = try await store.create("/c/later", value: [9])
            try await store.compact(revision: target)

            #expect(try await store.compactedRevision() == target)
            let atTarget = try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: target)
            #expect(atTarget.items == before.items)
            let now = try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: nil)
            #expect(now.items.count == 10)
            #expect(try await store.get("/c/0")?.value == [5])
            await #expect(throws: StorageError.compacted(requested: target - 1, oldest: target)) {
                try await store.list(prefix: "/c/", startAfter: nil, limit: 0, revision: target - 1)
            }
            // Compacting again to the same or an older revision changes nothing.
            try await store.compact(revision: target - 5)
            #expect(try await store.compactedRevision() == target)
            await #expect(throws: StorageError.futureRevision(requested: target + 2, current: target + 1)) {
                try await store.compact(revision: target + 2)
            }
            let updated = try await store.update("/c/0", value: [6], expectedRevision: try #require(try await store.get("/c/0")).modRevision)
            #expect(updated == target + 2)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func stoppingIterationUnregistersTheWatch(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            _ = try await store.create("/u/a", value: [])
            try await readOneBatchThenStop(store.watch(prefix: "/u/", after: 0))
            #expect(store.activeWatchCount == 0)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func cancellingTheConsumerUnregistersTheWatch(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let consumer = Task {
                var count = 0
                for try await batch in store.watch(prefix: "/u/", after: 0) {
                    count += batch.count
                    startedContinuation.yield()
                }
                return count
            }
            _ = try await store.create("/u/a", value: [])
            for await _ in started { break }
            #expect(store.activeWatchCount == 1)
            consumer.cancel()
            #expect(try await consumer.value == 1)
            #expect(store.activeWatchCount == 0)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func aWatcherThatFallsTooFarBehindEndsWithAnError(kind: BackendKind) async throws {
        try await kind.withBackend(watchBufferLimit: 5) { store in
            var iterator = store.watch(prefix: "", after: 0).makeAsyncIterator()
            _ = try await store.create("/first", value: [])
            #expect(try await collect(&iterator, through: 1).count == 1)
            for index in 0..<10 { _ = try await store.create("/s/\(index)", value: []) }
            await #expect(throws: StorageError.self) { _ = try await iterator.next() }
            #expect(try await iterator.next() == nil)
            #expect(store.activeWatchCount == 0)
            // The writer is unaffected.
            _ = try await store.create("/after", value: [])
        }
    }

    @Test(arguments: BackendKind.allCases)
    func closingTheStoreEndsWatches(kind: BackendKind) async throws {
        try await kind.withBackend { store in
            let stream = store.watch(prefix: "", after: 0)
            _ = try await store.create("/a", value: [])
            await store.close()
            var seen: [Int64] = []
            for try await batch in stream { seen += batch.map(\.revision) }
            #expect(seen.allSatisfy { $0 == 1 })
        }
    }

    private func readOneBatchThenStop(_ stream: AsyncThrowingStream<[WatchEvent], any Error>) async throws {
        for try await batch in stream {
            #expect(batch.map(\.kv.key) == ["/u/a"])
            break
        }
    }
}
