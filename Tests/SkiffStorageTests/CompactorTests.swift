import SkiffStorage
import Synchronization
import Testing

@Suite("Compactor", .timeLimit(.minutes(1)))
struct CompactorTests {
    @Test func keepsTheRetentionWindowAndTheMinimumRevisions() async throws {
        let store = MemoryBackend()
        let clock = SteppingClock()
        let policy = Compactor<SteppingClock>.Policy(retention: .seconds(300), minimumRevisions: 10, interval: .seconds(60))
        let compactor = Compactor(backend: store, policy: policy, clock: clock)
        try await churn(store, writes: 50)
        #expect(try await compactor.round() == nil)  // nothing is old enough yet

        try await churn(store, writes: 30)
        clock.advance(by: .seconds(301))
        #expect(try await compactor.round() == 50)  // the revision of five minutes ago
        #expect(try await store.compactedRevision() == 50)

        try await churn(store, writes: 5)
        clock.advance(by: .seconds(301))
        #expect(try await compactor.round() == 75)  // only 5 newer revisions: keep the last 10
        #expect(try await compactor.round() == nil)
        #expect(try await store.get("/churn/0") != nil)
        await store.close()
    }

    @Test func runCompactsPeriodicallyUntilCancelled() async throws {
        let store = MemoryBackend()
        try await churn(store, writes: 20)
        let (events, eventContinuation) = AsyncStream.makeStream(of: Compactor<SteppingClock>.Event.self)
        let compactor = Compactor(
            backend: store,
            policy: .init(retention: .seconds(120), minimumRevisions: 5, interval: .seconds(60)),
            clock: SteppingClock(),
            onEvent: { eventContinuation.yield($0) })
        let running = Task { try await compactor.run() }
        for await event in events {
            guard case .compacted(let revision) = event else {
                Issue.record("unexpected \(event)")
                break
            }
            #expect(revision == 15)
            break
        }
        running.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(try await store.compactedRevision() == 15)
        await store.close()
    }

    /// Creates or updates keys `/churn/0..9` in turn.
    private func churn(_ store: MemoryBackend, writes: Int) async throws {
        for index in 0..<writes {
            let key = "/churn/\(index % 10)"
            if let current = try await store.get(key) {
                _ = try await store.update(key, value: [UInt8(index % 256)], expectedRevision: current.modRevision)
            } else {
                _ = try await store.create(key, value: [])
            }
        }
    }
}

/// A clock whose `sleep` returns at once, moving its time forward to the deadline.
final class SteppingClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))

    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }

    func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = max($0, deadline) }
        await Task.yield()
        try Task.checkCancellation()
    }
}
