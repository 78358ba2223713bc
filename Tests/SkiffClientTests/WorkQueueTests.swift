import Testing
@testable import SkiffClient

/// client-go's work-queue semantics, with time driven by a `ManualClock`.
@Suite(.timeLimit(.minutes(1))) struct WorkQueueTests {
    /// One step of a scripted queue session, and what the queue must look like after it.
    enum Step: Sendable, CustomStringConvertible {
        case add(String)
        case get(expect: String)
        case done(String)
        case addAfter(String, Duration)
        case addRateLimited(String)
        case forget(String)
        case advance(Duration)
        case depth(Int)
        case requeues(String, Int)

        var description: String {
            switch self {
            case .add(let k): return "add \(k)"
            case .get(let k): return "get -> \(k)"
            case .done(let k): return "done \(k)"
            case .addAfter(let k, let d): return "addAfter \(k) \(d)"
            case .addRateLimited(let k): return "addRateLimited \(k)"
            case .forget(let k): return "forget \(k)"
            case .advance(let d): return "advance \(d)"
            case .depth(let n): return "depth == \(n)"
            case .requeues(let k, let n): return "requeues(\(k)) == \(n)"
            }
        }
    }

    static let scripts: [(String, [Step])] = [
        ("FIFO order", [.add("a"), .add("b"), .add("c"), .get(expect: "a"), .get(expect: "b"), .get(expect: "c"), .depth(0)]),
        ("duplicate adds collapse", [.add("a"), .add("b"), .add("a"), .depth(2), .get(expect: "a"), .get(expect: "b"), .depth(0)]),
        ("re-add while processing waits for done", [
            .add("a"), .get(expect: "a"), .add("a"), .depth(0), .add("b"), .depth(1),
            .done("a"), .depth(2), .get(expect: "b"), .get(expect: "a"),
        ]),
        ("done without re-add does not requeue", [.add("a"), .get(expect: "a"), .done("a"), .depth(0)]),
        ("dirty key added many times while processing is queued once", [
            .add("a"), .get(expect: "a"), .add("a"), .add("a"), .add("a"), .done("a"), .depth(1),
        ]),
        ("addAfter waits for its time", [
            .addAfter("a", .seconds(1)), .depth(0), .advance(.milliseconds(999)), .depth(0),
            .advance(.milliseconds(1)), .depth(1), .get(expect: "a"),
        ]),
        ("addAfter keeps the earlier time", [
            .addAfter("a", .seconds(5)), .addAfter("a", .seconds(1)), .addAfter("a", .seconds(3)),
            .advance(.seconds(1)), .depth(1), .get(expect: "a"), .done("a"), .advance(.seconds(10)), .depth(0),
        ]),
        ("delayed keys come out in time order", [
            .addAfter("late", .seconds(2)), .addAfter("early", .seconds(1)), .advance(.seconds(2)),
            .get(expect: "early"), .get(expect: "late"),
        ]),
        ("addAfter of a queued key does not duplicate it", [
            .add("a"), .addAfter("a", .seconds(1)), .advance(.seconds(1)), .depth(1), .get(expect: "a"), .depth(0),
        ]),
        ("non-positive delay adds at once", [.addAfter("a", .zero), .depth(1)]),
        ("rate limited back-off doubles from 5 ms", [
            .addRateLimited("a"), .requeues("a", 1), .advance(.milliseconds(4)), .depth(0), .advance(.milliseconds(1)), .depth(1),
            .get(expect: "a"), .addRateLimited("a"), .done("a"), .advance(.milliseconds(9)), .depth(0), .advance(.milliseconds(1)), .depth(1),
            .get(expect: "a"), .addRateLimited("a"), .done("a"), .advance(.milliseconds(19)), .depth(0), .advance(.milliseconds(1)), .depth(1),
            .requeues("a", 3),
        ]),
        ("forget resets the back-off", [
            .addRateLimited("a"), .addRateLimited("a"), .addRateLimited("a"), .requeues("a", 3), .forget("a"), .requeues("a", 0),
            .advance(.milliseconds(5)), .get(expect: "a"), .done("a"), .addRateLimited("a"), .advance(.milliseconds(5)), .depth(1),
        ]),
        ("back-off is per key", [
            .addRateLimited("a"), .addRateLimited("a"), .addRateLimited("b"), .requeues("a", 2), .requeues("b", 1),
            .advance(.milliseconds(5)), .get(expect: "a"), .get(expect: "b"),
        ]),
    ]

    @Test(arguments: scripts)
    func script(name: String, steps: [Step]) async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        for (i, step) in steps.enumerated() {
            switch step {
            case .add(let k): await queue.add(k)
            case .get(let k): #expect(await queue.get() == k, "step \(i): \(step)")
            case .done(let k): await queue.done(k)
            case .addAfter(let k, let d): await queue.addAfter(k, d)
            case .addRateLimited(let k): await queue.addRateLimited(k)
            case .forget(let k): await queue.forget(k)
            case .advance(let d): clock.advance(by: d)
            case .depth(let n): #expect(await queue.count == n, "step \(i): \(step)")
            case .requeues(let k, let n): #expect(await queue.numRequeues(k) == n, "step \(i): \(step)")
            }
        }
    }

    @Test(arguments: [(1, 5), (2, 10), (3, 20), (4, 40), (10, 2560), (18, 655_360), (19, 1_000_000), (40, 1_000_000), (200, 1_000_000)])
    func itemBackoff(failures: Int, milliseconds: Int64) {
        var backoff = ItemBackoff<String>()
        var last = Duration.zero
        for _ in 0..<failures { last = backoff.next("k") }
        #expect(last == .milliseconds(milliseconds))
    }

    @Test func tokenBucketAllowsBurstThenTenPerSecond() {
        var bucket = TokenBucket(qps: 10, burst: 100)
        for _ in 0..<100 { #expect(bucket.reserve(at: .zero) == .zero) }
        #expect(bucket.reserve(at: .zero) == .milliseconds(100))
        #expect(bucket.reserve(at: .zero) == .milliseconds(200))
        // A second later ten tokens have been refilled, two of them already promised.
        for _ in 0..<8 { #expect(bucket.reserve(at: .seconds(1)) == .zero) }
        #expect(bucket.reserve(at: .seconds(1)) == .milliseconds(100))
        // Much later the bucket is full again, never fuller.
        for _ in 0..<100 { #expect(bucket.reserve(at: .seconds(100)) == .zero) }
        #expect(bucket.reserve(at: .seconds(100)) == .milliseconds(100))
    }

    @Test func rateLimitedAddsUseTheLargerOfBackoffAndBucket() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        for i in 0..<100 { await queue.addRateLimited("k\(i)") }
        await queue.addRateLimited("k100")  // the 101st token: 100 ms
        clock.advance(by: .milliseconds(5))
        #expect(await queue.count == 100)
        clock.advance(by: .milliseconds(94))
        #expect(await queue.count == 100)
        clock.advance(by: .milliseconds(1))
        #expect(await queue.count == 101)
        let m = await queue.metrics
        #expect(m.retries == 101 && m.adds == 101 && m.depth == 101 && m.waiting == 0)
    }

    @Test func metricsCountAddsRetriesAndProcessing() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        await queue.add("a")
        await queue.add("a")
        await queue.add("b")
        _ = await queue.get()
        await queue.addAfter("c", .seconds(1))
        let m = await queue.metrics
        #expect(m == WorkQueue<String>.Metrics(depth: 1, adds: 2, retries: 1, processing: 1, waiting: 1))
    }

    @Test func blockedGetWakesOnAdd() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        async let key = queue.get()
        await queue.add("x")
        #expect(await key == "x")
    }

    @Test func blockedGetWakesWhenADelayedKeyIsDue() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        await queue.addAfter("later", .seconds(30))
        async let key = queue.get()
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(30))
        #expect(await key == "later")
    }

    @Test func earlierDelayedKeyShortensAWaitingGet() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        await queue.addAfter("slow", .seconds(60))
        async let key = queue.get()
        await clock.waitForSleepers(1)
        await queue.addAfter("fast", .seconds(1))
        // The waiting get re-arms for the earlier time.
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(await key == "fast")
    }

    @Test func aKeyIsNeverHandedToTwoWorkers() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        await queue.add("a")
        let first = await queue.get()
        #expect(first == "a")
        await queue.add("a")
        async let second = queue.get()  // must wait: "a" is still being processed
        await queue.add("b")
        #expect(await second == "b")
        await queue.done("a")
        #expect(await queue.get() == "a")
    }

    @Test func shutDownDrainsThenReturnsNil() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        await queue.add("a")
        await queue.shutDown()
        await queue.add("b")
        await queue.addRateLimited("c")
        #expect(await queue.get() == "a")
        #expect(await queue.get() == nil)
        #expect(await queue.isShuttingDown)
    }

    @Test func shutDownWakesWaitingGets() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        async let one = queue.get()
        async let two = queue.get()
        await queue.shutDown()
        #expect(await one == nil)
        #expect(await two == nil)
    }

    @Test func cancelledGetReturnsNil() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        let task = Task { await queue.get() }
        task.cancel()
        #expect(await task.value == nil)
        await queue.add("a")
        #expect(await queue.get() == "a")
    }

    @Test func manyWorkersNeverOverlapOnAKey() async {
        let queue = WorkQueue<Int>()
        let overlaps = OverlapCheck()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.get() {
                        await overlaps.enter(key)
                        await Task.yield()
                        await overlaps.leave(key)
                        await queue.done(key)
                    }
                }
            }
            for round in 0..<50 {
                for key in 0..<8 { await queue.add((key + round) % 8) }
                await Task.yield()
            }
            // Workers drain what is queued (and re-queued by `done`) after the shutdown, then stop.
            await queue.shutDown()
        }
        #expect(await overlaps.violations == 0)
        #expect(await overlaps.entries >= 8)
    }
}

actor OverlapCheck {
    var active: Set<Int> = []
    var violations = 0
    var entries = 0

    func enter(_ key: Int) {
        entries += 1
        if !active.insert(key).inserted { violations += 1 }
    }

    func leave(_ key: Int) { active.remove(key) }
}
