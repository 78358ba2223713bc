import Foundation
import SkiffClient
import SkiffModel

extension PodWorker {
    /// Stops the Pod as the kubelet does: each running container gets its preStop hook, SIGTERM,
    /// and SIGKILL when the grace period ends; then containers, root file systems, volumes,
    /// network, namespaces, cgroups and the Pod's directory are removed, and (for a Pod being
    /// deleted) the Pod is deleted with grace period 0 and its uid as precondition.
    func terminate(grace: Double, deleteFromAPI: Bool) async {
        guard !terminating else { return }
        terminating = true
        let deadline = Timestamp.now() + max(grace, 0)
        logger.info("pod terminating", metadata: ["grace": "\(grace)"])
        await stopAll(deadline: deadline)
        // Supervisors notice `terminating` once their container's exit is seen.
        while lifecycleRunning && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
        await stopAll(deadline: deadline)  // any created or adopted meanwhile
        if terminalPhase == nil && !Task.isCancelled { publish() }
        await removeEverything()
        guard deleteFromAPI else { return }
        do {
            _ = try await agent.client.delete(.pods, namespace: namespace, name: name,
                                              options: .init(gracePeriodSeconds: 0, preconditionUID: uid))
            logger.info("pod deleted")
        } catch let e as APIError where e.isNotFound || e.isConflict {
            return
        } catch {
            logger.warning("pod delete failed", metadata: ["error": "\(error)"])
        }
    }

    func stopAll(deadline: Double) async {
        let running = live.filter { !stopped.contains($0.value) }
        stopped.formUnion(running.values)
        await withDiscardingTaskGroup { group in
            for (cname, id) in running {
                group.addTask { await self.stop(cname, id: id, deadline: deadline) }
            }
        }
    }

    /// preStop, SIGTERM, SIGKILL at the deadline; records the container's termination.
    func stop(_ cname: String, id: String, deadline: Double) async {
        let kind: Kind = apps.contains { $0.name == cname } ? .app : .initContainer
        guard let i = (kind == .app ? apps : inits).firstIndex(where: { $0.name == cname }) else { return }
        event(cname, kind, "Killing", "Stopping container \(cname)")
        let exit = await kill(kind, i, id: id, deadline: deadline)
        let startedAt: Double? = if case .running(let at) = record(kind, i).state { at } else { nil }
        if let exit {
            let t = termination(exit, id: id, startedAt: startedAt ?? Timestamp.now(), finishedAt: Timestamp.now())
            change(kind, i) {
                $0.state = .terminated(t)
                $0.ready = false
            }
        }
    }

    /// Kills a container as the kubelet does: its preStop hook, SIGTERM, and SIGKILL at the
    /// deadline. Returns its exit, or nil when it was not seen.
    func kill(_ kind: Kind, _ i: Int, id: String, deadline: Double) async -> ExitStatus? {
        let c = spec(kind, i)
        let cname = record(kind, i).name
        let runtime = agent.runtime
        if let command = c["lifecycle", "preStop", "exec", "command"]?.array?.compactMap(\.string), !command.isEmpty {
            let result = await awaitLimited(seconds: deadline - Timestamp.now()) {
                try? await runtime.exec(id: id, args: command, env: [])
            }
            if let r = result ?? nil, r.exitCode != 0 {
                event(cname, kind, warning: true, "FailedPreStopHook",
                      "PreStopHook failed: command '\(command.joined(separator: " "))' exited with \(r.exitCode)")
            }
        }
        try? await runtime.kill(id: id, signal: SIGTERM)
        var exit = await awaitLimited(seconds: deadline - Timestamp.now()) { await Self.waitExit(runtime, id) }
        if exit == nil {
            try? await runtime.kill(id: id, signal: SIGKILL)
            exit = await awaitLimited(seconds: 10) { await Self.waitExit(runtime, id) }
        }
        return exit
    }

    /// Removes every trace of the Pod on this node (idempotent).
    func removeEverything() async {
        for (cname, id) in live { await removeContainer(cname, id) }
        // Anything of this Pod the runtime still has (an earlier agent's leftovers).
        for st in (try? await agent.runtime.list()) ?? [] {
            guard let cid = ContainerID(st.id), cid.podUID == uid else { continue }
            try? await agent.runtime.kill(id: st.id, signal: SIGKILL)
            await removeContainer(cid.container, st.id)
        }
        await releaseSandbox()
        do { try await agent.volumes.tearDown(pod: pod, podDir: podDir) } catch {
            logger.warning("volume teardown failed", metadata: ["error": "\(error)"])
        }
        PodCgroups.removePod(podUID: uid)
        FileSystem.removeTree(podDir)
    }
}
