import Dispatch
import Synchronization

/// Read connections to a SQLite store, each confined to its own serial dispatch queue.
///
/// Reads run beside the writer (WAL lets readers proceed during a write) and never block
/// Swift's cooperative threads. A read that starts after a commit sees that commit.
final class SQLiteReaderPool: Sendable {
    private struct Reader: Sendable {
        let queue: DispatchQueue
        let connection: SQLiteConnection
    }

    private let readers: [Reader]
    private let next = Atomic<UInt>(0)

    /// Opens `count` read connections to the (already created) database at `path`, each
    /// mapping up to `mmapSize` bytes of it.
    init(path: String, count: Int, busyTimeoutMilliseconds: Int32, mmapSize: Int) throws {
        readers = try (0..<max(1, count)).map { index in
            let connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            try connection.execute("PRAGMA query_only = 1; PRAGMA mmap_size = \(max(0, mmapSize))")
            return Reader(queue: DispatchQueue(label: "skiff.sqlite.reader.\(index)"), connection: connection)
        }
    }

    /// Runs `body` on a read connection's queue and returns its result.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let reader = readers[Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(readers.count))]
        return try await withCheckedThrowingContinuation { continuation in
            reader.queue.async {
                continuation.resume(with: Result { try body(reader.connection) })
            }
        }
    }

    /// Closes every connection once the reads queued before it finish.
    func close() async {
        for reader in readers {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                reader.queue.async {
                    reader.connection.close()
                    continuation.resume()
                }
            }
        }
    }
}
