import SkiffClient
import SkiffModel
import Testing
@testable import SkiffScheduler

@Suite struct SchedulingQueueTests {
    func pod(_ name: String, priority: Int64 = 0) -> PodInfo { Fixture.podInfo(name, priority: priority) }

    func pop(_ q: inout SchedulingQueue, _ now: Duration) throws -> QueuedPod {
        let popped = q.pop(now: now)
        return try #require(popped)
    }

    @Test(arguments: [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)])
    func backoffDoublesFromOneToTenSeconds(attempts: Int, seconds: Int) {
        #expect(SchedulingQueue().backoffDuration(attempts: attempts) == .seconds(seconds))
    }

    @Test func activeOrderIsPriorityThenAge() {
        var q = SchedulingQueue()
        q.add(pod("old-low"), now: .seconds(1))
        q.add(pod("high", priority: 100), now: .seconds(2))
        q.add(pod("new-low"), now: .seconds(3))
        #expect(q.pop(now: .seconds(4))?.pod.name == "high")
        #expect(q.pop(now: .seconds(4))?.pod.name == "old-low")
        #expect(q.pop(now: .seconds(4))?.pod.name == "new-low")
        #expect(q.pop(now: .seconds(4)) == nil)
    }

    @Test func unschedulableWaitsForAnEventThenBacksOff() throws {
        var q = SchedulingQueue()
        q.add(pod("p"), now: .zero)
        let popped = try pop(&q, .zero)
        #expect(popped.attempts == 1)
        q.requeueUnschedulable(popped, plugins: [NodeAffinity.name], now: .seconds(1))
        #expect(q.location(of: popped.key) == "unschedulable")
        // An event NodeAffinity does not care about leaves it there.
        #expect(q.moveAll(now: .seconds(1)) { $0.contains(NodeResourcesFit.name) } == 0)
        // One it cares about moves it to back-off: 1 s from when it was requeued.
        #expect(q.moveAll(now: .milliseconds(1500)) { $0.contains(NodeAffinity.name) } == 1)
        #expect(q.location(of: popped.key) == "backoff")
        #expect(q.nextBackoffExpiry == .seconds(2))
        #expect(q.flushBackoffCompleted(now: .milliseconds(1999)) == 0)
        #expect(q.flushBackoffCompleted(now: .seconds(2)) == 1)
        #expect(q.pop(now: .seconds(2))?.attempts == 2)
    }

    @Test func eventAfterTheBackoffGoesStraightToActive() throws {
        var q = SchedulingQueue()
        q.add(pod("p"), now: .zero)
        q.requeueUnschedulable(try pop(&q, .zero), plugins: [NodeAffinity.name], now: .zero)
        q.moveAll(now: .seconds(5)) { _ in true }
        #expect(q.location(of: "default/p") == "active")
    }

    @Test func anEventDuringTheCycleSendsAFailureToBackoff() throws {
        var q = SchedulingQueue()
        q.add(pod("p"), now: .zero)
        let popped = try pop(&q, .zero)
        q.moveAll(now: .zero) { _ in true }
        q.requeueUnschedulable(popped, plugins: [NodeAffinity.name], now: .zero)
        #expect(q.location(of: popped.key) == "backoff")
    }

    @Test func statusOnlyUpdatesDoNotRetry() throws {
        var q = SchedulingQueue()
        q.add(pod("p"), now: .zero)
        q.requeueUnschedulable(try pop(&q, .zero), plugins: [NodeAffinity.name], now: .zero)
        q.update(pod("p"), significant: false, now: .seconds(5))
        #expect(q.location(of: "default/p") == "unschedulable")
        q.update(pod("p"), significant: true, now: .seconds(5))
        #expect(q.location(of: "default/p") == "active")
    }

    @Test func deletedWhileInFlightIsNotRequeued() throws {
        var q = SchedulingQueue()
        q.add(pod("p"), now: .zero)
        let popped = try pop(&q, .zero)
        q.delete(popped.key)
        q.requeueUnschedulable(popped, plugins: [], now: .zero)
        #expect(q.location(of: popped.key) == nil)
    }

    @Test func errorsBackOffExponentially() throws {
        var q = SchedulingQueue()
        q.add(pod("p"), now: .zero)
        var now = Duration.zero
        var waits: [Duration] = []
        for _ in 0..<6 {
            let popped = try pop(&q, now)
            q.requeueAfterError(popped, now: now)
            let expiry = try #require(q.nextBackoffExpiry)
            waits.append(expiry - now)
            now = expiry
            q.flushBackoffCompleted(now: now)
        }
        #expect(waits == [1, 2, 4, 8, 10, 10].map { Duration.seconds($0) })
    }

    @Test func leftoversAreRetriedAfterFiveMinutes() throws {
        var q = SchedulingQueue()
        q.add(pod("p"), now: .zero)
        q.requeueUnschedulable(try pop(&q, .zero), plugins: [NodeAffinity.name], now: .zero)
        #expect(q.flushUnschedulableLeftover(now: .seconds(300)) == 0)
        #expect(q.flushUnschedulableLeftover(now: .seconds(301)) == 1)
        #expect(q.location(of: "default/p") == "active")
    }

    @Test func podQueueWaitsOutTheBackoffOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let queue = PodQueue(clock: clock)
        await queue.add(pod("p"))
        let first = try #require(await queue.pop())
        await queue.requeueAfterError(first)
        let waiter = Task { await queue.pop() }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(999))
        #expect(await queue.snapshot.activeCount == 0)
        clock.advance(by: .milliseconds(1))
        let second = await waiter.value
        #expect(second?.attempts == 2)
    }

    @Test func podQueueWakesOnAdd() async {
        let queue = PodQueue(clock: ManualClock())
        let waiter = Task { await queue.pop() }
        await queue.add(pod("p"))
        #expect(await waiter.value?.pod.name == "p")
    }

    @Test func closedQueueReturnsNil() async {
        let queue = PodQueue(clock: ManualClock())
        let waiter = Task { await queue.pop() }
        await queue.close()
        #expect(await waiter.value == nil)
    }
}

@Suite struct SchedulerCacheTests {
    @Test func assumedPodsCountUntilConfirmedOrForgotten() {
        let cache = SchedulerCache()
        cache.setNode(NodeSpec(Fixture.node("n1")))
        let pod = Fixture.podInfo("p", cpu: "1")
        cache.assume(pod.assigned(to: "n1"))
        #expect(cache.snapshot().node("n1")?.requested.milliCPU == 1000)
        #expect(cache.isAssumed(pod.key))
        cache.forget(pod.key)
        #expect(cache.snapshot().node("n1")?.pods.isEmpty == true)

        cache.assume(pod.assigned(to: "n1"))
        cache.setPod(Fixture.podInfo("p", cpu: "1", node: "n1"))
        #expect(!cache.isAssumed(pod.key))
        cache.forget(pod.key)  // confirmed: forgetting does nothing
        #expect(cache.snapshot().node("n1")?.pods.count == 1)
        cache.removePod(pod.key)
        #expect(cache.podCount == 0)
    }

    @Test func podsOnUnknownNodesAppearWithTheNode() {
        let cache = SchedulerCache()
        cache.setPod(Fixture.podInfo("p", cpu: "1", node: "late"))
        #expect(cache.snapshot().nodes.isEmpty)
        cache.setNode(NodeSpec(Fixture.node("late")))
        #expect(cache.snapshot().node("late")?.pods.count == 1)
        cache.setNode(NodeSpec(Fixture.node("other")))
        cache.removeNode("late")
        #expect(cache.snapshot().nodes.map(\.name) == ["other"])
        #expect(cache.snapshot().node("other") != nil)
    }

    @Test func snapshotsDoNotChangeUnderACycle() {
        let cache = SchedulerCache()
        cache.setNode(NodeSpec(Fixture.node("n1")))
        let before = cache.snapshot()
        cache.assume(Fixture.podInfo("p", cpu: "1").assigned(to: "n1"))
        #expect(before.node("n1")?.pods.isEmpty == true)
        #expect(cache.snapshot().node("n1")?.pods.count == 1)
    }
}

@Suite struct PriorityClassesTests {
    @Test func classesResolvePriority() {
        let classes = PriorityClasses()
        classes.set(["metadata": ["name": "high"], "value": 1000])
        let named = Fixture.pod("a", spec: ["priorityClassName": "high", "priority": 0])
        #expect(classes.podInfo(named).priority == 1000)
        #expect(classes.podInfo(Fixture.pod("b", spec: ["priorityClassName": "system-node-critical"])).priority == 2_000_001_000)
        #expect(classes.podInfo(Fixture.pod("c", spec: ["priority": 7])).priority == 7)
        classes.set(["metadata": ["name": "default"], "value": 10, "globalDefault": true])
        #expect(classes.podInfo(Fixture.pod("d")).priority == 10)
        #expect(classes.podInfo(named).assigned(to: "n1").priority == 1000)
        classes.remove(["metadata": ["name": "high"]])
        #expect(classes.podInfo(named).priority == 0)
    }
}
