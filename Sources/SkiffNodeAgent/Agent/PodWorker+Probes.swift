import Foundation
import SkiffModel

extension PodWorker {
    /// How a container run's wait ends: its exit (nil: cancelled), or one of its probe loops.
    enum RunEnd: Sendable { case exit(ExitStatus?), probeLoop }

    var probeRunner: any ProbeRunner { ContainerProbeRunner(runtime: agent.runtime) }

    /// Sets up a new run's probes: the container starts not ready when it has a readiness or
    /// startup probe, and not started while a startup probe has not succeeded.
    func resetProbes(_ kind: Kind, _ i: Int) {
        let cname = record(kind, i).name
        let probes = kind == .app ? ContainerProbes(container: spec(kind, i)) : ContainerProbes([])
        probeStates[cname] = probes
        change(kind, i) {
            $0.ready = kind == .app && probes.ready
            $0.startupPending = !probes.started
        }
    }

    /// Waits for the exit of the container's run `id` while its probes run (nil: cancelled).
    func waitExitProbing(_ kind: Kind, _ i: Int, id: String, startedAt: Double) async -> ExitStatus? {
        let runtime = agent.runtime
        let cname = record(kind, i).name
        let kinds = Probe.Kind.allCases.filter { probeStates[cname]?.trackers[$0] != nil }
        return await withTaskGroup(of: RunEnd.self) { group in
            group.addTask { .exit(await awaitLimited(seconds: nil) { await Self.waitExit(runtime, id) }) }
            for pk in kinds {
                group.addTask {
                    await self.probeLoop(kind, i, pk, id: id, startedAt: startedAt)
                    return .probeLoop
                }
            }
            var exit: ExitStatus?
            while let end = await group.next() {
                if case .exit(let status) = end {
                    exit = status
                    break
                }
            }
            group.cancelAll()
            return exit
        }
    }

    /// Runs one probe of the container's run `id` at its times until cancelled (the run ended).
    func probeLoop(_ kind: Kind, _ i: Int, _ pk: Probe.Kind, id: String, startedAt: Double) async {
        let cname = record(kind, i).name
        let runner = probeRunner
        while !Task.isCancelled && !terminating {
            guard let state = probeStates[cname], let tracker = state.trackers[pk] else { return }
            // Done for this run: on hold (the container is being killed), or started.
            if tracker.onHold || (pk == .startup && state.started) { return }
            guard state.shouldRun(pk) else {
                // Liveness and readiness wait for the startup probe.
                try? await Task.sleep(for: .milliseconds(250))
                continue
            }
            let now = Timestamp.now()
            let due = tracker.nextRun(startedAt: startedAt)
            if due > now {
                try? await Task.sleep(for: .milliseconds(Int64(min(due - now, 1) * 1000) + 1))
                continue
            }
            let result = await runner.run(tracker.probe, target: ProbeTarget(containerID: id, podIP: podIPs.first))
            guard !Task.isCancelled, !terminating, live[cname] == id else { return }
            if !result.success {
                event(cname, kind, warning: true, "Unhealthy", "\(pk.title) probe failed: \(result.message)")
            }
            guard var updated = probeStates[cname] else { return }
            let outcome = updated.record(pk, success: result.success, at: now)
            probeStates[cname] = updated
            logger.debug("probe ran", metadata: ["container": "\(cname)", "probe": "\(pk.rawValue)", "success": "\(result.success)"])
            switch outcome {
            case .none:
                continue
            case .result:
                change(kind, i) {
                    $0.ready = $0.isRunning && updated.ready
                    $0.startupPending = !updated.started
                }
                publish()
            case .kill:
                await killUnhealthy(kind, i, pk, id: id, grace: tracker.probe.terminationGracePeriodSeconds)
            }
        }
    }

    /// Kills a container that failed its liveness or startup probe, gracefully (preStop, SIGTERM,
    /// SIGKILL after the probe's or the Pod's grace period); its supervisor restarts it per policy.
    func killUnhealthy(_ kind: Kind, _ i: Int, _ pk: Probe.Kind, id: String, grace: Double?) async {
        let cname = record(kind, i).name
        var message = "Container \(cname) failed \(pk.rawValue) probe"
        if restartPolicy != "Never" { message += ", will be restarted" }
        event(cname, kind, "Killing", message)
        logger.info("container unhealthy, killing", metadata: ["container": "\(cname)", "probe": "\(pk.rawValue)"])
        let seconds = grace ?? Double(pod["spec", "terminationGracePeriodSeconds"]?.int ?? 30)
        _ = await kill(kind, i, id: id, deadline: Timestamp.now() + max(seconds, 0))
    }
}
