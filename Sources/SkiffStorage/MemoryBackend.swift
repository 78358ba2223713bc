import Synchronization

/// A `StorageBackend` held in memory, with the full semantics (history, list at a revision,
/// compaction, watch) but no durability. For tests and throwaway clusters.
public final class MemoryBackend: StorageBackend {
    private struct State {
        var revision: Int64 = 0
        var compacted: Int64 = 0
        var current: [String: KeyValue] = [:]
        /// The keys of `current` in `KeyRange.precedes` order.
        var sortedKeys: [String] = []
        /// Every change after compaction, in revision order.
        var log: [WatchEvent] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let hub: WatchHub

    /// An empty store. A watch ends with an error once more than `watchBufferLimit` events
    /// wait for its consumer.
    public init(watchBufferLimit: Int = 100_000) {
        hub = WatchHub(bufferLimit: watchBufferLimit)
    }

    /// How many watches are open.
    public var activeWatchCount: Int { hub.count }

    public func get(_ key: String) async throws -> KeyValue? {
        try state.withLock { state in
            try Self.checkOpen(state)
            return state.current[key]
        }
    }

    public func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?) async throws -> ListResult {
        try state.withLock { state in
            try Self.checkOpen(state)
            let range = KeyRange(prefix: prefix)
            let (lower, inclusive) = range.lowerBound(startAfter: startAfter)
            let keys: [String]
            let values: [String: KeyValue]
            let readRevision: Int64
            if let revision, revision != state.revision {
                if revision < state.compacted {
                    throw StorageError.compacted(requested: revision, oldest: state.compacted)
                }
                if revision > state.revision {
                    throw StorageError.futureRevision(requested: revision, current: state.revision)
                }
                values = Self.snapshot(of: state.log, at: revision, in: range)
                keys = values.keys.sorted(by: KeyRange.precedes)
                readRevision = revision
            } else {
                values = state.current
                keys = state.sortedKeys
                readRevision = state.revision
            }
            var index = Self.insertionIndex(of: lower, in: keys)
            if !inclusive, index < keys.count, keys[index] == lower { index += 1 }
            var items: [KeyValue] = []
            while index < keys.count, range.contains(keys[index]) {
                if limit > 0, items.count == limit {
                    return ListResult(items: items, revision: readRevision, more: true)
                }
                if let value = values[keys[index]] { items.append(value) }
                index += 1
            }
            return ListResult(items: items, revision: readRevision, more: false)
        }
    }

    public func count(prefix: String) async throws -> Int {
        try state.withLock { state in
            try Self.checkOpen(state)
            let range = KeyRange(prefix: prefix)
            var index = Self.insertionIndex(of: prefix, in: state.sortedKeys)
            var count = 0
            while index < state.sortedKeys.count, range.contains(state.sortedKeys[index]) {
                count += 1
                index += 1
            }
            return count
        }
    }

    public func create(_ key: String, value: [UInt8]) async throws -> Int64 {
        try write { state in
            guard state.current[key] == nil else { throw StorageError.keyExists(key) }
            let revision = state.revision + 1
            let kv = KeyValue(key: key, value: value, createRevision: revision, modRevision: revision)
            state.sortedKeys.insert(key, at: Self.insertionIndex(of: key, in: state.sortedKeys))
            return WatchEvent(kind: .put, kv: kv, previous: nil)
        }.revision
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws -> Int64 {
        try write { state in
            guard let current = state.current[key] else { throw StorageError.keyNotFound(key) }
            guard current.modRevision == expectedRevision else { throw StorageError.conflict(current: current) }
            let kv = KeyValue(key: key, value: value, createRevision: current.createRevision, modRevision: state.revision + 1)
            return WatchEvent(kind: .put, kv: kv, previous: current)
        }.revision
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws -> KeyValue {
        try write { state in
            guard let current = state.current[key] else { throw StorageError.keyNotFound(key) }
            if let expectedRevision, current.modRevision != expectedRevision {
                throw StorageError.conflict(current: current)
            }
            state.sortedKeys.remove(at: Self.insertionIndex(of: key, in: state.sortedKeys))
            var kv = current
            kv.modRevision = state.revision + 1
            return WatchEvent(kind: .delete, kv: kv, previous: current)
        }.kv
    }

    public func currentRevision() async throws -> Int64 {
        try state.withLock { state in
            try Self.checkOpen(state)
            return state.revision
        }
    }

    public func compactedRevision() async throws -> Int64 {
        try state.withLock { state in
            try Self.checkOpen(state)
            return state.compacted
        }
    }

    public func compact(revision: Int64) async throws {
        try state.withLock { state in
            try Self.checkOpen(state)
            guard revision <= state.revision else {
                throw StorageError.futureRevision(requested: revision, current: state.revision)
            }
            guard revision > state.compacted else { return }
            // Keep each key's latest change as of `revision` unless it is a delete, so the
            // state at the compacted revision stays readable.
            var latest: [String: Int] = [:]
            for (index, event) in state.log.enumerated() where event.revision <= revision {
                latest[event.kv.key] = index
            }
            var kept: [WatchEvent] = []
            kept.reserveCapacity(state.log.count)
            for (index, event) in state.log.enumerated() {
                if event.revision > revision || (latest[event.kv.key] == index && event.kind == .put) {
                    kept.append(event)
                }
            }
            state.log = kept
            state.compacted = revision
        }
    }

    public func watch(prefix: String, after: Int64) -> AsyncThrowingStream<[WatchEvent], any Error> {
        hub.stream(prefix: prefix, after: after) { [self] range, after, _ in
            try state.withLock { state in
                try Self.checkOpen(state)
                if after < state.compacted {
                    throw StorageError.compacted(requested: after, oldest: state.compacted)
                }
                let start = Self.firstIndex(after: after, in: state.log)
                let events = state.log[start...].filter { range.contains($0.kv.key) }
                return ReplayPage(events: events, snapshot: state.revision, complete: true)
            }
        }
    }

    public func close() async {
        state.withLock { state in
            state.closed = true
            state.current = [:]
            state.sortedKeys = []
            state.log = []
        }
        hub.close()
    }

    /// Applies one change under the lock: `change` checks preconditions and builds the event
    /// (its revision is the next one); the event is then recorded and broadcast.
    private func write(_ change: (inout State) throws -> WatchEvent) throws -> WatchEvent {
        try state.withLock { state in
            try Self.checkOpen(state)
            let event = try change(&state)
            state.revision = event.revision
            state.current[event.kv.key] = event.kind == .put ? event.kv : nil
            state.log.append(event)
            // Under the lock, so watchers see events in revision order.
            hub.broadcast([event])
            return event
        }
    }

    private static func checkOpen(_ state: State) throws {
        if state.closed { throw StorageError.backend("storage is closed") }
    }

    /// The values under `range` as of `revision`, rebuilt from the log.
    private static func snapshot(of log: [WatchEvent], at revision: Int64, in range: KeyRange) -> [String: KeyValue] {
        var values: [String: KeyValue] = [:]
        for event in log where event.revision <= revision && range.contains(event.kv.key) {
            values[event.kv.key] = event.kind == .put ? event.kv : nil
        }
        return values
    }

    /// The index of the first key not ordered before `key`.
    private static func insertionIndex(of key: String, in keys: [String]) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if KeyRange.precedes(keys[middle], key) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The index of the first event with a revision greater than `revision`.
    private static func firstIndex(after revision: Int64, in log: [WatchEvent]) -> Int {
        var low = 0, high = log.count
        while low < high {
            let middle = (low + high) / 2
            if log[middle].revision <= revision { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
