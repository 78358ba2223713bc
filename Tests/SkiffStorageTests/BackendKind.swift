import Foundation
import SkiffStorage
import Testing

/// The backends the conformance suite runs against.
enum BackendKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case sqlite

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh backend, then closes it and removes its files. SQLite replays
    /// in tiny pages so that paging is exercised.
    func withBackend(
        watchBufferLimit: Int = 100_000,
        _ body: (any StorageBackend & WatchCounting) async throws -> Void
    ) async throws {
        switch self {
        case .memory:
            let backend = MemoryBackend(watchBufferLimit: watchBufferLimit)
            do {
                try await body(backend)
            } catch {
                await backend.close()
                throw error
            }
            await backend.close()
        case .sqlite:
            try await withTemporaryDirectory { directory in
                var configuration = SQLiteBackend.Configuration(path: directory + "/store.db")
                configuration.watchBufferLimit = watchBufferLimit
                configuration.replayPageSize = 3
                let backend = try SQLiteBackend(configuration: configuration)
                do {
                    try await body(backend)
                } catch {
                    await backend.close()
                    throw error
                }
                await backend.close()
            }
        }
    }
}

/// Backends that report their open watches.
protocol WatchCounting {
    var activeWatchCount: Int { get }
}

extension MemoryBackend: WatchCounting {}
extension SQLiteBackend: WatchCounting {}

/// Runs `body` with a new empty directory and removes it afterwards.
func withTemporaryDirectory(_ body: (String) async throws -> Void) async throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-storage-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    try await body(url.path)
}

/// Reads batches until an event at or after `revision` arrives; fails if the stream ends first.
func collect(
    _ iterator: inout AsyncThrowingStream<[WatchEvent], any Error>.AsyncIterator, through revision: Int64
) async throws -> [WatchEvent] {
    var events: [WatchEvent] = []
    while events.last.map({ $0.revision < revision }) ?? true {
        guard let batch = try await iterator.next() else {
            Issue.record("watch ended after \(events.count) events, before revision \(revision)")
            return events
        }
        events += batch
    }
    return events
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
