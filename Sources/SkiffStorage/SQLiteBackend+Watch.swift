extension SQLiteBackend {
    /// Replays the log after `after` in pages of `replayPageSize` rows (each page one read
    /// snapshot, all bounded by the revision current when the replay began), then delivers the
    /// writer's live events. Fails with `.compacted` if `after` — or, during a long replay, the
    /// last replayed revision — falls behind the compacted revision.
    public func watch(prefix: String, after: Int64) -> AsyncThrowingStream<[WatchEvent], any Error> {
        let pageSize = max(1, configuration.replayPageSize)
        return hub.stream(prefix: prefix, after: after) { [readers] range, after, through in
            try await readers.read { connection in
                try connection.transaction {
                    let compacted = try SQLiteSchema.compactedRevision(connection)
                    if after < compacted { throw StorageError.compacted(requested: after, oldest: compacted) }
                    let snapshot = try through ?? SQLiteSchema.revision(connection)
                    let condition = SQLiteSchema.nameCondition(
                        column: "name", range: range, lower: (range.prefix, true), firstParameter: 4)
                    var events: [WatchEvent] = []
                    try connection.query("""
                        SELECT id, name, created, deleted, create_revision, prev_revision, value, old_value FROM kv
                        WHERE id > ?1 AND id <= ?2 AND \(condition.sql) ORDER BY id LIMIT ?3
                        """, arguments: [.int(after), .int(snapshot), .int(Int64(pageSize))] + condition.arguments) {
                        events.append(SQLiteSchema.event($0))
                    }
                    return ReplayPage(events: events, snapshot: snapshot, complete: events.count < pageSize)
                }
            }
        }
    }
}
