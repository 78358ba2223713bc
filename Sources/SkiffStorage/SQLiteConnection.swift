import CSQLite

/// A value bound to a statement parameter.
enum SQLiteValue {
    case int(Int64)
    case text(String)
    /// Text given as raw UTF-8 bytes (used for key range bounds, which may not be valid UTF-8).
    case textBytes([UInt8])
    case blob([UInt8])
}

/// One SQLite database connection with a cache of prepared statements.
///
/// Not thread-safe: each connection must be used by one thread (or serial queue) at a time.
/// Every failure is thrown as `StorageError.backend` with SQLite's message.
final class SQLiteConnection: @unchecked Sendable {  // confined: only its owning thread/queue touches it
    private var db: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database at `path`.
    init(path: String, busyTimeoutMilliseconds: Int32) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw StorageError.backend("sqlite: open \(path): \(message) (\(rc))")
        }
        db = handle
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
    }

    deinit { close() }

    /// Finalizes every cached statement and closes the connection; later calls fail.
    func close() {
        for statement in statements.values { statement.finalize() }
        statements = [:]
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    /// True when no transaction is open (SQLite may roll back on its own after some errors).
    var isAutocommit: Bool { db.map { sqlite3_get_autocommit($0) != 0 } ?? true }

    /// Runs one or more SQL statements without parameters or results.
    func execute(_ sql: String) throws {
        let handle = try open()
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(errorMessage)
            throw StorageError.backend("sqlite: \(message) (\(rc)) in: \(sql)")
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ sql: String, _ arguments: SQLiteValue...) throws {
        try query(sql, arguments: arguments) { _ in }
    }

    /// Runs a query, calling `row` for each result row (the statement is only valid inside it).
    func query(_ sql: String, _ arguments: SQLiteValue..., row: (SQLiteStatement) throws -> Void) throws {
        try query(sql, arguments: arguments, row: row)
    }

    /// The first column of the first row as an integer, or nil when there is no row or it is NULL.
    func scalar(_ sql: String, _ arguments: SQLiteValue...) throws -> Int64? {
        var result: Int64?
        try query(sql, arguments: arguments) { statement in
            if result == nil, !statement.isNull(0) { result = statement.int64(0) }
        }
        return result
    }

    /// Runs `body` inside `BEGIN` … `COMMIT`, rolling back if it throws. For readers this gives
    /// one consistent snapshot across several statements.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if !isAutocommit { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs a query with an argument list built at run time.
    func query(_ sql: String, arguments: [SQLiteValue], row: (SQLiteStatement) throws -> Void) throws {
        let statement = try prepared(sql)
        defer { statement.reset() }
        for (index, argument) in arguments.enumerated() {
            try statement.bind(argument, at: Int32(index + 1))
        }
        while try statement.step() {
            try row(statement)
        }
    }

    private func prepared(_ sql: String) throws -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        let handle = try open()
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else {
            throw StorageError.backend("sqlite: prepare: \(String(cString: sqlite3_errmsg(handle))) (\(rc)) in: \(sql)")
        }
        let statement = SQLiteStatement(raw, connection: handle)
        statements[sql] = statement
        return statement
    }

    private func open() throws -> OpaquePointer {
        guard let db else { throw StorageError.backend("sqlite: connection is closed") }
        return db
    }
}
