import SkiffModel
import Testing
@testable import SkiffScheduler

@Suite struct FrameworkTests {
    let framework = try! Framework(profile: .default)

    func schedule(_ pod: PodInfo, _ snapshot: Snapshot) -> Result<ScheduleResult, FitError> {
        var start = 0
        var random = SystemRandomNumberGenerator()
        return framework.schedule(CycleState(), pod, snapshot, startIndex: &start, using: &random)
    }

    /// The message as the scheduler reports it, with the PostFilter (preemption) part.
    func message(_ pod: PodInfo, _ snapshot: Snapshot) -> String? {
        guard case .failure(var error) = schedule(pod, snapshot) else { return nil }
        if let post = framework.runPostFilter(CycleState(), pod, snapshot, error.diagnosis.nodeStatuses) {
            error.diagnosis.postFilterMessage = post.message
        }
        return error.message
    }

    @Test func messageShapeOfAMixedRejection() {
        let snapshot = Snapshot(nodes: [
            Fixture.nodeInfo(Fixture.node("n1", labels: ["disk": "ssd"], cpu: "1")),
            Fixture.nodeInfo(Fixture.node("n2")),
            Fixture.nodeInfo(Fixture.node("n3")),
        ])
        let pod = Fixture.podInfo("web-1", cpu: "2", spec: ["nodeSelector": ["disk": "ssd"]])
        #expect(message(pod, snapshot) == "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector."
            + " preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod,"
            + " 2 Preemption is not helpful for scheduling.")
    }

    @Test func messageWhenNothingCanHelp() {
        let snapshot = Snapshot(nodes: ["n1", "n2", "n3"].map { Fixture.nodeInfo(Fixture.node($0, taints: [Fixture.taint("k", "v", "NoSchedule")])) })
        #expect(message(Fixture.podInfo("p"), snapshot) == "0/3 nodes are available: 3 node(s) had untolerated taint {k: v}."
            + " preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    }

    @Test func reasonsOfOneNodeAreAllCounted() {
        let snapshot = Snapshot(nodes: [Fixture.nodeInfo(Fixture.node("n1", cpu: "1", memory: "1Gi"))])
        #expect(message(Fixture.podInfo("p", cpu: "2", memory: "2Gi", spec: ["preemptionPolicy": "Never"]), snapshot)
            == "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never.")
    }

    @Test func noNodes() {
        #expect(message(Fixture.podInfo("p"), Snapshot(nodes: [])) == "no nodes available to schedule pods")
    }

    @Test func histogramSortsAsStrings() {
        let statuses: [Status] = [.unschedulable("b"), .unschedulable("b"), .unschedulable("a"),
                                  .unschedulable("Insufficient cpu"), Status(.unschedulable, ["b", "a"])]
        #expect(FitError.histogram(statuses) == "1 Insufficient cpu, 2 a, 3 b")
    }

    @Test func picksTheLeastAllocatedNode() throws {
        let snapshot = Snapshot(nodes: [
            Fixture.nodeInfo(Fixture.node("busy"), pods: [Fixture.podInfo("e", cpu: "3", memory: "8Gi", node: "busy")]),
            Fixture.nodeInfo(Fixture.node("idle")),
        ])
        let result = try schedule(Fixture.podInfo("p", cpu: "500m", memory: "1Gi"), snapshot).get()
        #expect(result.node == "idle")
        #expect(result.feasibleNodes == 2)
    }

    @Test func nominatedNodeIsTriedFirst() throws {
        let snapshot = Snapshot(nodes: [Fixture.nodeInfo(Fixture.node("a")), Fixture.nodeInfo(Fixture.node("b"))])
        var pod = Fixture.pod("p")
        pod["status", "nominatedNodeName"] = "b"
        #expect(try schedule(PodInfo(pod), snapshot).get() == ScheduleResult(node: "b", evaluatedNodes: 1, feasibleNodes: 1))
    }

    @Test(arguments: [(10, 10), (99, 99), (100, 100), (500, 230), (1000, 420), (5000, 500), (6000, 300)])
    func feasibleNodesToFind(all: Int, expected: Int) {
        #expect(Framework.feasibleNodesToFind(allNodes: all) == expected)
    }

    @Test func filteringStopsAtEnoughFeasibleNodesAndRotates() throws {
        let snapshot = Snapshot(nodes: (0..<500).map { Fixture.nodeInfo(Fixture.node("n\($0)")) })
        var start = 0
        var random = SystemRandomNumberGenerator()
        let r = try framework.schedule(CycleState(), Fixture.podInfo("p"), snapshot, startIndex: &start, using: &random).get()
        #expect(r.evaluatedNodes == 230)
        #expect(start == 230)
    }

    @Test func unknownPluginIsAConfigurationError() {
        #expect(throws: SchedulerError.self) { try Framework(profile: Profile(plugins: [.init("Nope")])) }
    }

    @Test func eventsSelectWhichPodsMove() {
        #expect(framework.mayHelp(.nodeAdd, rejectedBy: [NodeAffinity.name]))
        #expect(!framework.mayHelp(.assignedPodAdd, rejectedBy: [NodeAffinity.name]))
        #expect(framework.mayHelp(.assignedPodDelete, rejectedBy: [NodeResourcesFit.name]))
        #expect(framework.mayHelp(.assignedPodAdd, rejectedBy: [InterPodAffinity.name, NodeAffinity.name]))
        #expect(framework.mayHelp(.assignedPodAdd, rejectedBy: []))
        #expect(!framework.mayHelp(.nodeAdd, rejectedBy: [Framework.schedulingGates]))
    }
}

@Suite struct PreemptionTests {
    let framework = try! Framework(profile: .default)

    @Test func evictsTheFewestLowerPriorityPods() throws {
        let node = Fixture.nodeInfo(Fixture.node("n1", cpu: "4"), pods: [
            Fixture.podInfo("low-a", cpu: "1", node: "n1", priority: 1),
            Fixture.podInfo("low-b", cpu: "2", node: "n1", priority: 2),
            Fixture.podInfo("high", cpu: "1", node: "n1", priority: 100),
        ])
        let snapshot = Snapshot(nodes: [node])
        let pod = Fixture.podInfo("p", cpu: "2", priority: 50)
        let statuses = ["n1": Status(.unschedulable, ["Insufficient cpu"])]
        let r = DefaultPreemption().postFilter(CycleState(), pod, snapshot, statuses, framework: framework)
        #expect(r.nominatedNode == "n1")
        // Giving back low-b (priority 2) first leaves room only if low-a goes: 1 + 2 + 2 = 5 > 4, so low-b must go;
        // then low-a fits back: 1 + 1 + 2 = 4.
        #expect(r.victims.map(\.name) == ["low-b"])
    }

    @Test func noLowerPriorityPods() {
        let node = Fixture.nodeInfo(Fixture.node("n1", cpu: "1"), pods: [Fixture.podInfo("e", cpu: "1", node: "n1", priority: 10)])
        let r = DefaultPreemption().postFilter(CycleState(), Fixture.podInfo("p", cpu: "1", priority: 10), Snapshot(nodes: [node]),
                                               ["n1": .unschedulable("Insufficient cpu")], framework: framework)
        #expect(r.nominatedNode == nil)
        #expect(r.message == "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
    }

    @Test func evictingEverythingStillDoesNotFit() {
        let node = Fixture.nodeInfo(Fixture.node("n1", cpu: "1"), pods: [Fixture.podInfo("e", cpu: "1", node: "n1", priority: 0)])
        let r = DefaultPreemption().postFilter(CycleState(), Fixture.podInfo("p", cpu: "2", priority: 10), Snapshot(nodes: [node]),
                                               ["n1": .unschedulable("Insufficient cpu")], framework: framework)
        #expect(r.nominatedNode == nil)
        #expect(r.message == "preemption: 0/1 nodes are available: 1 Insufficient cpu.")
    }
}
