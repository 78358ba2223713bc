import SkiffModel
import SkiffSim
import Testing

@Suite struct PodExitTests {
    static func pod(restartPolicy: String = "Never", env: [(String, String)], phase: String = "Running") -> JSON {
        let envJSON = JSON.array(env.map { ["name": .string($0.0), "value": .string($0.1)] })
        return ["metadata": ["uid": "u1"],
                "spec": ["restartPolicy": .string(restartPolicy), "containers": [["name": "work", "image": "busybox:1", "env": envJSON]]],
                "status": ["phase": .string(phase), "startTime": "2026-01-01T00:00:00Z",
                           "conditions": [["type": "Ready", "status": "True"], ["type": "ContainersReady", "status": "True"]],
                           "containerStatuses": [["name": "work", "ready": true, "containerID": "skiff-sim://u1/work",
                                                  "state": ["running": ["startedAt": "2026-01-01T00:00:00Z"]]]]]]
    }

    static let start = Timestamp.parse("2026-01-01T00:00:00Z")!

    @Test func exitsAfterTheConfiguredSeconds() {
        let pod = Self.pod(env: [("SKIFF_SIM_EXIT_AFTER", "5")])
        #expect(PodExit.exitTime(for: pod) == Self.start + 5)
        #expect(PodLifecycle.action(for: pod, now: Self.start + 4.9) == .none)
        #expect(PodLifecycle.action(for: pod, now: Self.start + 5) == .exit)
    }

    @Test func alwaysRestartingPodsAndPodsWithoutTheEnvKeepRunning() {
        #expect(PodExit.exitTime(for: Self.pod(restartPolicy: "Always", env: [("SKIFF_SIM_EXIT_AFTER", "1")])) == nil)
        #expect(PodExit.exitTime(for: Self.pod(env: [])) == nil)
        #expect(PodLifecycle.action(for: Self.pod(env: []), now: Self.start + 1000) == .none)
    }

    @Test(arguments: [("0", "Succeeded", "Completed", "PodCompleted"), ("3", "Failed", "Error", "PodFailed")])
    func finishedStatus(code: String, phase: String, reason: String, conditionReason: String) {
        let pod = Self.pod(env: [("SKIFF_SIM_EXIT_AFTER", "1"), ("SKIFF_SIM_EXIT_CODE", code)])
        let status = PodExit.finishedStatus(for: pod, now: "2026-01-01T00:00:01Z")
        #expect(status["phase"]?.string == phase)
        let terminated = status["containerStatuses"]?.array?.first?["state", "terminated"]
        #expect(terminated?["exitCode"] == .int(Int64(code)!))
        #expect(terminated?["reason"]?.string == reason)
        #expect(terminated?["finishedAt"] == "2026-01-01T00:00:01Z")
        #expect(status["containerStatuses"]?.array?.first?["ready"] == false)
        let ready = status["conditions"]?.array?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "False" && ready?["reason"]?.string == conditionReason)
        #expect(PodLifecycle.action(for: ["spec": pod["spec"]!, "status": status]) == .none)
    }
}
