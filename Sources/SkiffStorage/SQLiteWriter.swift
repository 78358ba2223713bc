import Foundation
import Synchronization

/// The single writer of a SQLite store, on a dedicated thread, with group commit.
///
/// Callers queue writes and suspend. The thread takes everything queued, applies it in one
/// transaction — each write checks its precondition first and runs in its own savepoint, so a
/// failing write fails alone — commits once (one fsync with `synchronous=FULL`), publishes the
/// new revision, resumes the callers, then broadcasts the events in revision order. Between
/// batches it advances a requested compaction by at most `compactionStep` revisions per
/// transaction, so compaction never stalls writes for long.
final class SQLiteWriter: @unchecked Sendable {  // queue state guarded by `condition`; `connection` and `revision` used only on the writer thread
    enum Operation: Sendable {
        case create(key: String, value: [UInt8])
        case update(key: String, value: [UInt8], expectedRevision: Int64)
        case delete(key: String, expectedRevision: Int64?)
    }

    private struct Job {
        let operation: Operation
        let continuation: CheckedContinuation<WatchEvent, any Error>
    }

    private struct CompactionRequest {
        let revision: Int64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var compactions: [CompactionRequest] = []
    private var stopping = false
    private var exited = false
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []

    private let connection: SQLiteConnection
    private let hub: WatchHub
    private var revision: Int64
    private let committed: Atomic<Int64>
    private let compacted: Atomic<Int64>
    private let maxBatch = 4_096
    private let compactionStep: Int64 = 10_000

    /// A writer over `connection` (schema ready) whose last revision is `revision`.
    init(connection: SQLiteConnection, hub: WatchHub, revision: Int64, compactedRevision: Int64) {
        self.connection = connection
        self.hub = hub
        self.revision = revision
        committed = Atomic(revision)
        compacted = Atomic(compactedRevision)
    }

    /// The revision of the last acknowledged write.
    var committedRevision: Int64 { committed.load(ordering: .acquiring) }

    /// The revision history is compacted to.
    var compactedRevision: Int64 { compacted.load(ordering: .acquiring) }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "skiff-sqlite-writer"
        thread.start()
    }

    /// Applies `operation` durably; returns its event (whose revision is the new revision).
    func submit(_ operation: Operation) async throws -> WatchEvent {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                continuation.resume(throwing: StorageError.backend("storage is closed"))
                return
            }
            jobs.append(Job(operation: operation, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Compacts history up to `revision` (see `SQLiteBackend.compact(revision:)`).
    func compact(to revision: Int64) async throws {
        let current = committedRevision
        guard revision <= current else {
            throw StorageError.futureRevision(requested: revision, current: current)
        }
        guard revision > compactedRevision else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                continuation.resume(throwing: StorageError.backend("storage is closed"))
                return
            }
            compactions.append(CompactionRequest(revision: revision, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Refuses new work, finishes what is queued, closes the connection and ends the thread;
    /// returns once the thread has ended.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            stopping = true
            if exited {
                condition.unlock()
                continuation.resume()
                return
            }
            exitWaiters.append(continuation)
            condition.signal()
            condition.unlock()
        }
    }

    /// Like `stop()`, without waiting for the thread to end.
    func requestStop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    // MARK: - Writer thread

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && compactions.isEmpty && !stopping { condition.wait() }
            let batch = Array(jobs.prefix(maxBatch))
            jobs.removeFirst(batch.count)
            let target = compactions.map(\.revision).max()
            let done = batch.isEmpty && target == nil && stopping
            condition.unlock()
            if done { break }
            if !batch.isEmpty { commit(batch) }
            if let target { compactStep(toward: target) }
        }
        connection.close()
        condition.lock()
        exited = true
        let waiters = exitWaiters
        exitWaiters = []
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    private func commit(_ batch: [Job]) {
        let startRevision = revision
        var results: [Result<WatchEvent, any Error>] = []
        results.reserveCapacity(batch.count)
        var batchError: (any Error)?
        do {
            try connection.execute("BEGIN IMMEDIATE")
            for job in batch {
                do {
                    let event = try apply(job.operation, at: revision + 1)
                    revision = event.revision
                    results.append(.success(event))
                } catch {
                    results.append(.failure(error))
                    // Some errors (I/O, full disk) make SQLite roll the whole transaction back.
                    if connection.isAutocommit { throw error }
                }
            }
            try connection.execute("COMMIT")
        } catch {
            if !connection.isAutocommit { try? connection.execute("ROLLBACK") }
            batchError = error
            revision = startRevision
        }
        committed.store(revision, ordering: .releasing)
        var events: [WatchEvent] = []
        events.reserveCapacity(batch.count)
        for (index, job) in batch.enumerated() {
            if let batchError {
                job.continuation.resume(throwing: batchError)
                continue
            }
            if case .success(let event) = results[index] { events.append(event) }
            job.continuation.resume(with: results[index])
        }
        hub.broadcast(events)
    }

    /// Checks `operation`'s precondition, then records it as revision `next`.
    private func apply(_ operation: Operation, at next: Int64) throws -> WatchEvent {
        switch operation {
        case .create(let key, let value):
            var previousRevision: Int64 = 0
            var live = false
            try connection.query("SELECT id, deleted FROM kv WHERE name = ?1 ORDER BY id DESC LIMIT 1", .text(key)) { row in
                previousRevision = row.int64(0)
                live = row.int64(1) == 0
            }
            if live { throw StorageError.keyExists(key) }
            try inSavepoint {
                try connection.run(
                    "INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?1, ?2, 1, 0, ?1, ?3, ?4)",
                    .int(next), .text(key), .int(previousRevision), .blob(value))
                try connection.run("INSERT INTO current (name, revision) VALUES (?1, ?2)", .text(key), .int(next))
            }
            let kv = KeyValue(key: key, value: value, createRevision: next, modRevision: next)
            return WatchEvent(kind: .put, kv: kv, previous: nil)

        case .update(let key, let value, let expectedRevision):
            guard let current = try SQLiteSchema.current(key, connection) else { throw StorageError.keyNotFound(key) }
            guard current.modRevision == expectedRevision else { throw StorageError.conflict(current: current) }
            try inSavepoint {
                try connection.run(
                    "INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value, old_value) VALUES (?1, ?2, 0, 0, ?3, ?4, ?5, ?6)",
                    .int(next), .text(key), .int(current.createRevision), .int(current.modRevision), .blob(value), .blob(current.value))
                try connection.run("UPDATE current SET revision = ?2 WHERE name = ?1", .text(key), .int(next))
            }
            let kv = KeyValue(key: key, value: value, createRevision: current.createRevision, modRevision: next)
            return WatchEvent(kind: .put, kv: kv, previous: current)

        case .delete(let key, let expectedRevision):
            guard let current = try SQLiteSchema.current(key, connection) else { throw StorageError.keyNotFound(key) }
            if let expectedRevision, current.modRevision != expectedRevision {
                throw StorageError.conflict(current: current)
            }
            try inSavepoint {
                try connection.run(
                    "INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?1, ?2, 0, 1, ?3, ?4, ?5)",
                    .int(next), .text(key), .int(current.createRevision), .int(current.modRevision), .blob(current.value))
                try connection.run("DELETE FROM current WHERE name = ?1", .text(key))
            }
            var kv = current
            kv.modRevision = next
            return WatchEvent(kind: .delete, kv: kv, previous: current)
        }
    }

    /// Runs `writes` so that, if one fails, none of them stays in the transaction.
    private func inSavepoint(_ writes: () throws -> Void) throws {
        try connection.run("SAVEPOINT write")
        do {
            try writes()
            try connection.run("RELEASE write")
        } catch {
            if !connection.isAutocommit {
                try? connection.run("ROLLBACK TO write")
                try? connection.run("RELEASE write")
            }
            throw error
        }
    }

    /// Compacts one step toward `target`: removes the rows superseded by a row in the step's
    /// revision range (each row names its predecessor in `prev_revision`) and the delete
    /// tombstones in that range, then records the new compacted revision.
    private func compactStep(toward target: Int64) {
        let from = compactedRevision
        let to = min(target, from + compactionStep)
        var failure: (any Error)?
        if to > from {
            do {
                try connection.execute("BEGIN IMMEDIATE")
                try connection.run(
                    "DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id > ?1 AND id <= ?2 AND prev_revision > 0)",
                    .int(from), .int(to))
                try connection.run("DELETE FROM kv WHERE id > ?1 AND id <= ?2 AND deleted = 1", .int(from), .int(to))
                try SQLiteSchema.setCompactedRevision(to, connection)
                try connection.execute("COMMIT")
                compacted.store(to, ordering: .releasing)
            } catch {
                if !connection.isAutocommit { try? connection.execute("ROLLBACK") }
                failure = error
            }
        }
        condition.lock()
        let reached = compactedRevision
        let finished = compactions.filter { failure != nil || $0.revision <= reached }
        compactions.removeAll { failure != nil || $0.revision <= reached }
        condition.unlock()
        for request in finished {
            if let failure { request.continuation.resume(throwing: failure) } else { request.continuation.resume() }
        }
    }
}
