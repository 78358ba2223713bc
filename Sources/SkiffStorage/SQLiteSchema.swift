/// The tables of a SQLite store and the queries its reader and writer connections share.
///
/// - `kv` is the revision log, as in kine: its INTEGER PRIMARY KEY is the global revision and
///   rows are only appended (and removed by compaction). A row records a create (`created`),
///   an update, or a delete (`deleted`, `value` = the last value); `prev_revision` is the
///   key's previous row (0 for a first create), so `UNIQUE(name, prev_revision)` refuses two
///   writes racing from the same version. `old_value` is the value an update replaced.
///   AUTOINCREMENT keeps revisions from being reused after compaction removes the last row.
/// - `current` maps each live key to its latest row, so `get` is one index lookup and `list`
///   one ordered range scan.
/// - `meta` holds `compact_rev`, the compacted revision.
enum SQLiteSchema {
    static let create = """
        CREATE TABLE IF NOT EXISTS kv (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            created INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision INTEGER NOT NULL,
            value BLOB NOT NULL,
            old_value BLOB,
            UNIQUE (name, prev_revision)
        );
        CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
        CREATE TABLE IF NOT EXISTS current (
            name TEXT PRIMARY KEY,
            revision INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    /// The latest revision ever written (0 for a fresh store).
    static func revision(_ connection: SQLiteConnection) throws -> Int64 {
        try connection.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'kv'") ?? 0
    }

    /// The compacted revision (0 if never compacted).
    static func compactedRevision(_ connection: SQLiteConnection) throws -> Int64 {
        try connection.scalar("SELECT value FROM meta WHERE key = 'compact_rev'") ?? 0
    }

    static func setCompactedRevision(_ revision: Int64, _ connection: SQLiteConnection) throws {
        try connection.run("""
            INSERT INTO meta (key, value) VALUES ('compact_rev', ?1)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, .int(revision))
    }

    /// The current value of `key`, or nil.
    static func current(_ key: String, _ connection: SQLiteConnection) throws -> KeyValue? {
        var result: KeyValue?
        try connection.query("""
            SELECT kv.value, kv.create_revision, kv.id FROM current JOIN kv ON kv.id = current.revision
            WHERE current.name = ?1
            """, .text(key)) { row in
            result = KeyValue(key: key, value: row.blob(0), createRevision: row.int64(1), modRevision: row.int64(2))
        }
        return result
    }

    /// A `name` condition selecting `range` from `lower`, with the SQL parameters it uses
    /// (numbered from `firstParameter`).
    static func nameCondition(
        column: String, range: KeyRange, lower: (key: String, inclusive: Bool), firstParameter: Int
    ) -> (sql: String, arguments: [SQLiteValue]) {
        var sql = "\(column) \(lower.inclusive ? ">=" : ">") ?\(firstParameter)"
        var arguments: [SQLiteValue] = [.text(lower.key)]
        if let upper = range.upperBound {
            sql += " AND \(column) < ?\(firstParameter + 1)"
            arguments.append(.textBytes(upper))
        }
        return (sql, arguments)
    }

    /// The change a log row records, read from columns
    /// `id, name, created, deleted, create_revision, prev_revision, value, old_value`.
    static func event(_ row: SQLiteStatement) -> WatchEvent {
        let revision = row.int64(0)
        let key = row.text(1)
        let createRevision = row.int64(4)
        let previousRevision = row.int64(5)
        let value = row.blob(6)
        if row.int64(2) != 0 {
            let kv = KeyValue(key: key, value: value, createRevision: createRevision, modRevision: revision)
            return WatchEvent(kind: .put, kv: kv, previous: nil)
        }
        if row.int64(3) != 0 {
            let previous = KeyValue(key: key, value: value, createRevision: createRevision, modRevision: previousRevision)
            let kv = KeyValue(key: key, value: value, createRevision: createRevision, modRevision: revision)
            return WatchEvent(kind: .delete, kv: kv, previous: previous)
        }
        let previous = KeyValue(key: key, value: row.blob(7), createRevision: createRevision, modRevision: previousRevision)
        let kv = KeyValue(key: key, value: value, createRevision: createRevision, modRevision: revision)
        return WatchEvent(kind: .put, kv: kv, previous: previous)
    }
}
