import Foundation
import Synchronization

/// The default `StorageBackend`: a kine-style revision log in one SQLite database file.
///
/// Writes go through one in-process writer thread with group commit (see `SQLiteWriter`);
/// a write returns only after its transaction is committed with `synchronous=FULL`, so it
/// survives a crash of the process or the machine. Reads use separate connections (WAL), see
/// every acknowledged write, and never block Swift's cooperative threads. Watches replay the
/// log and then receive events from the writer right after each commit.
///
/// One process at a time may open a database: an advisory lock on `<path>.lock` enforces it.
public final class SQLiteBackend: StorageBackend {
    public struct Configuration: Sendable {
        /// The database file (created with its tables if missing).
        public var path: String
        /// A watch ends with an error once more than this many events wait for its consumer.
        public var watchBufferLimit: Int = 100_000
        /// How many log rows a watch replay reads per query.
        public var replayPageSize: Int = 1_000
        /// How many read connections serve get/list/count/watch replay.
        public var readConnections: Int = 2
        /// How long a connection waits for a lock held by another connection.
        public var busyTimeout: Duration = .seconds(5)
        /// Bytes of the database file readers map into memory (0 disables). A reader's page
        /// cache is dropped after every commit by the writer; mapped pages are not.
        public var mmapSize: Int = 256 << 20

        public init(path: String) {
            self.path = path
        }
    }

    let configuration: Configuration
    let readers: SQLiteReaderPool
    let hub: WatchHub
    private let writer: SQLiteWriter
    private let lockFile: FileHandle
    private let closed = Atomic<Bool>(false)

    /// Opens (or creates) the database at `path` with the default configuration.
    public convenience init(path: String) throws {
        try self.init(configuration: Configuration(path: path))
    }

    /// Opens (or creates) the database; an existing one resumes at its latest revision.
    public init(configuration: Configuration) throws {
        self.configuration = configuration
        lockFile = try Self.lock(configuration.path + ".lock")
        let (seconds, attoseconds) = configuration.busyTimeout.components
        let timeout = Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
        let connection = try SQLiteConnection(path: configuration.path, busyTimeoutMilliseconds: timeout)
        var journalMode = ""
        try connection.query("PRAGMA journal_mode = WAL") { journalMode = $0.text(0) }
        guard journalMode.lowercased() == "wal" else {
            throw StorageError.backend("sqlite: cannot use WAL journal mode (got \(journalMode))")
        }
        try connection.execute("PRAGMA synchronous = FULL; PRAGMA journal_size_limit = 67108864")
        try connection.transaction { try connection.execute(SQLiteSchema.create) }
        let revision = try SQLiteSchema.revision(connection)
        let compacted = try SQLiteSchema.compactedRevision(connection)
        readers = try SQLiteReaderPool(
            path: configuration.path, count: configuration.readConnections,
            busyTimeoutMilliseconds: timeout, mmapSize: configuration.mmapSize)
        hub = WatchHub(bufferLimit: configuration.watchBufferLimit)
        writer = SQLiteWriter(connection: connection, hub: hub, revision: revision, compactedRevision: compacted)
        writer.start()
    }

    /// An unclosed backend still lets its writer finish the queued writes and exit.
    deinit { writer.requestStop() }

    /// How many watches are open.
    public var activeWatchCount: Int { hub.count }

    public func get(_ key: String) async throws -> KeyValue? {
        try checkOpen()
        return try await readers.read { try SQLiteSchema.current(key, $0) }
    }

    public func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?) async throws -> ListResult {
        try checkOpen()
        return try await readers.read { connection in
            try connection.transaction {
                let current = try SQLiteSchema.revision(connection)
                guard let revision, revision != current else {
                    return try Self.listCurrent(prefix: prefix, startAfter: startAfter, limit: limit, at: current, connection)
                }
                let compacted = try SQLiteSchema.compactedRevision(connection)
                if revision < compacted { throw StorageError.compacted(requested: revision, oldest: compacted) }
                if revision > current { throw StorageError.futureRevision(requested: revision, current: current) }
                return try Self.listHistory(prefix: prefix, startAfter: startAfter, limit: limit, at: revision, connection)
            }
        }
    }

    public func count(prefix: String) async throws -> Int {
        try checkOpen()
        return try await readers.read { connection in
            let range = KeyRange(prefix: prefix)
            let condition = SQLiteSchema.nameCondition(
                column: "name", range: range, lower: (prefix, true), firstParameter: 1)
            var count = 0
            try connection.query("SELECT COUNT(*) FROM current WHERE \(condition.sql)", arguments: condition.arguments) {
                count = Int($0.int64(0))
            }
            return count
        }
    }

    public func create(_ key: String, value: [UInt8]) async throws -> Int64 {
        try checkOpen()
        return try await writer.submit(.create(key: key, value: value)).revision
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws -> Int64 {
        try checkOpen()
        return try await writer.submit(.update(key: key, value: value, expectedRevision: expectedRevision)).revision
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws -> KeyValue {
        try checkOpen()
        return try await writer.submit(.delete(key: key, expectedRevision: expectedRevision)).kv
    }

    public func currentRevision() async throws -> Int64 {
        try checkOpen()
        return writer.committedRevision
    }

    public func compactedRevision() async throws -> Int64 {
        try checkOpen()
        return writer.compactedRevision
    }

    /// Removes, up to `revision`, every log row that a later row at or before `revision`
    /// supersedes, and every delete tombstone; the state at `revision` itself stays readable.
    /// Large ranges are compacted in steps between write batches. Durable.
    public func compact(revision: Int64) async throws {
        try checkOpen()
        try await writer.compact(to: revision)
    }

    /// Finishes queued writes, ends every watch, closes the database and releases its lock.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await writer.stop()
        hub.close()
        await readers.close()
        try? lockFile.close()
    }

    func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw StorageError.backend("storage is closed") }
    }

    private static func listCurrent(
        prefix: String, startAfter: String?, limit: Int, at revision: Int64, _ connection: SQLiteConnection
    ) throws -> ListResult {
        let range = KeyRange(prefix: prefix)
        let condition = SQLiteSchema.nameCondition(
            column: "c.name", range: range, lower: range.lowerBound(startAfter: startAfter), firstParameter: 2)
        let sql = """
            SELECT c.name, kv.value, kv.create_revision, kv.id FROM current AS c JOIN kv ON kv.id = c.revision
            WHERE \(condition.sql) ORDER BY c.name LIMIT ?1
            """
        return try page(sql, condition.arguments, limit: limit, at: revision, connection)
    }

    private static func listHistory(
        prefix: String, startAfter: String?, limit: Int, at revision: Int64, _ connection: SQLiteConnection
    ) throws -> ListResult {
        let range = KeyRange(prefix: prefix)
        let condition = SQLiteSchema.nameCondition(
            column: "name", range: range, lower: range.lowerBound(startAfter: startAfter), firstParameter: 3)
        let sql = """
            SELECT kv.name, kv.value, kv.create_revision, kv.id
            FROM (SELECT MAX(id) AS id FROM kv WHERE \(condition.sql) AND id <= ?2 GROUP BY name) AS latest
            JOIN kv ON kv.id = latest.id WHERE kv.deleted = 0 ORDER BY kv.name LIMIT ?1
            """
        return try page(sql, [.int(revision)] + condition.arguments, limit: limit, at: revision, connection)
    }

    /// Runs a list query whose `?1` is the row limit and whose rows are
    /// `name, value, create_revision, mod_revision`.
    private static func page(
        _ sql: String, _ arguments: [SQLiteValue], limit: Int, at revision: Int64, _ connection: SQLiteConnection
    ) throws -> ListResult {
        var items: [KeyValue] = []
        if limit > 0 { items.reserveCapacity(limit) }
        let rowLimit: Int64 = limit > 0 ? Int64(limit) + 1 : -1
        try connection.query(sql, arguments: [.int(rowLimit)] + arguments) { row in
            items.append(KeyValue(key: row.text(0), value: row.blob(1), createRevision: row.int64(2), modRevision: row.int64(3)))
        }
        let more = limit > 0 && items.count > limit
        if more { items.removeLast() }
        return ListResult(items: items, revision: revision, more: more)
    }

    /// Takes an exclusive advisory lock on `path`, failing if another process holds it.
    private static func lock(_ path: String) throws -> FileHandle {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StorageError.backend("cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw StorageError.backend("database \(path) is in use by another process")
        }
        return handle
    }
}
