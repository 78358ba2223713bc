import CSQLite

/// A prepared statement owned by one `SQLiteConnection` (same threading rules).
final class SQLiteStatement {
    private var handle: OpaquePointer?
    private let connection: OpaquePointer

    /// Tells SQLite to copy bound buffers (Swift's buffers do not outlive the bind call).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ handle: OpaquePointer, connection: OpaquePointer) {
        self.handle = handle
        self.connection = connection
    }

    func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .int(let number):
            rc = sqlite3_bind_int64(handle, index, number)
        case .text(let string):
            rc = sqlite3_bind_text(handle, index, string, -1, Self.transient)
        case .textBytes(let bytes) where bytes.isEmpty:
            rc = sqlite3_bind_text(handle, index, "", 0, Self.transient)
        case .textBytes(let bytes):
            rc = bytes.withUnsafeBytes { buffer in
                let chars = buffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                return sqlite3_bind_text(handle, index, chars, Int32(buffer.count), Self.transient)
            }
        case .blob(let bytes) where bytes.isEmpty:
            rc = sqlite3_bind_zeroblob(handle, index, 0)
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { buffer in
                sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), Self.transient)
            }
        }
        try check(rc, "bind")
    }

    /// Advances to the next row; false when the statement is done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            try check(rc, "step")
            return false
        }
    }

    /// Makes the statement reusable and drops its bindings.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func text(_ column: Int32) -> String {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard let pointer = sqlite3_column_text(handle, column), count > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private func check(_ rc: Int32, _ operation: String) throws {
        guard rc != SQLITE_OK else { return }
        let message = String(cString: sqlite3_errmsg(connection))
        let sql = sqlite3_sql(handle).map { String(cString: $0) } ?? "?"
        throw StorageError.backend("sqlite: \(operation): \(message) (\(rc)) in: \(sql)")
    }
}
