import Foundation
import SkiffModel

extension PodWorker {
    /// Sandbox, init containers in order, then every app container under its supervisor.
    func lifecycle() async {
        defer { lifecycleRunning = false }
        // Being deleted already (seen first after an agent restart): nothing new starts, and
        // containers found running are handed to `terminate` to stop gracefully.
        guard pod["metadata", "deletionTimestamp"] == nil else {
            for (cname, found) in adopted {
                try? agent.runtime.adopt(id: found.description, logPath: "\(podDir)/logs/\(cname)/\(found.attempt).log",
                                         cgroupsPath: PodCgroups.containerPath(podUID: uid, container: cname))
                live[cname] = found.description
            }
            adopted = [:]
            return
        }
        if let phase = pod["status", "phase"]?.string, phase == "Succeeded" || phase == "Failed", adopted.isEmpty {
            // Finished before the agent (re)started: nothing runs again; only deletion is left.
            terminalPhase = phase
            await releaseSandbox()
            return
        }
        startTime = pod["status", "startTime"]?.string.flatMap(Timestamp.parse) ?? Timestamp.now()
        publish()
        var delay = 1.0
        while !terminating && !Task.isCancelled {
            do {
                try await setUpSandbox()
                break
            } catch let error as VolumeError {
                logger.warning("volume setup failed", metadata: ["error": "\(error)"])
                event(warning: true, "FailedMount", error.description)
                await pause(delay)
                delay = min(delay * 2, 60)
            } catch {
                logger.warning("pod sandbox setup failed", metadata: ["error": "\(error)"])
                event(warning: true, "FailedCreatePodSandBox", "Failed to create pod sandbox: \(error)")
                await pause(delay)
                delay = min(delay * 2, 60)
            }
        }
        guard !terminating, !Task.isCancelled else { return }
        sandboxReady = true
        publish()

        // An app container found running means the init containers finished before the restart.
        let initsDone = apps.contains { adopted[$0.name] != nil } || inits.allSatisfy(\.succeeded)
        if !initsDone {
            for i in inits.indices where !inits[i].succeeded {
                guard await supervise(.initContainer, i) else {
                    await finishIfTerminal()
                    return
                }
            }
        }
        guard !terminating, !Task.isCancelled else { return }
        await withDiscardingTaskGroup { group in
            for i in apps.indices { group.addTask { _ = await self.supervise(.app, i) } }
        }
        await finishIfTerminal()
    }

    /// Keeps ConfigMap, Secret, downward API and projected volumes (and their tokens) current,
    /// every minute as the kubelet's resync does, while the Pod runs.
    func refreshVolumes() async {
        while !terminating && !Task.isCancelled {
            await pause(60)
            guard sandboxReady, terminalPhase == nil, !terminating else { continue }
            do {
                try await agent.volumes.refresh(pod: pod, podDir: podDir)
            } catch {
                event(warning: true, "FailedMount", "\(error)")
            }
        }
    }

    /// Once no container will run again: the phase is final and the sandbox goes.
    func finishIfTerminal() async {
        guard !terminating, !Task.isCancelled else { return }
        let phase = PodStatusBuilder.phase(restartPolicy: restartPolicy, initContainers: inits, containers: apps)
        guard phase == "Succeeded" || phase == "Failed" else { return }
        terminalPhase = phase
        publish()
        await releaseSandbox()
    }

    func setUpSandbox() async throws {
        let hostNetwork = pod["spec", "hostNetwork"]?.bool ?? false
        let hostname = pod["spec", "hostname"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? name
        let box = try await PodSandbox.create(podDir: podDir, hostname: String(hostname.prefix(63)), hostNetwork: hostNetwork,
                                              hostIPC: pod["spec", "hostIPC"]?.bool ?? false)
        sandbox = box
        if hostNetwork {
            podIPs = [agent.nodeIP]
        } else if let net = box.netPath {
            podIPs = try await agent.network.setUp(pod: pod, netnsPath: net)
        }
        try await agent.volumes.setUp(pod: pod, podDir: podDir)
        try writeHostsFile()
        try writeResolvConf()
    }

    /// The kubelet's managed /etc/hosts for a Pod with its own network namespace.
    func writeHostsFile() throws {
        var text = """
        # Kubernetes-managed hosts file.
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        fe00::0\tip6-mcastprefix
        fe00::1\tip6-allnodes
        fe00::2\tip6-allrouters

        """
        let hostname = pod["spec", "hostname"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? name
        var fqdn = hostname
        if let sub = pod["spec", "subdomain"]?.string, !sub.isEmpty { fqdn = "\(hostname).\(sub).\(namespace).svc.cluster.local\t\(hostname)" }
        for ip in podIPs { text += "\(ip)\t\(fqdn)\n" }
        for alias in pod["spec", "hostAliases"]?.array ?? [] {
            let names = (alias["hostnames"]?.array ?? []).compactMap(\.string).joined(separator: "\t")
            if let ip = alias["ip"]?.string { text += "\n# Entries added by HostAliases.\n\(ip)\t\(names)\n" }
        }
        try FileSystem.write(Array(text.utf8), to: podDir + "/etc-hosts")
    }

    /// The Pod's /etc/resolv.conf from its `dnsPolicy` and `dnsConfig` (see `ResolvConf`).
    func writeResolvConf() throws {
        let dns = ResolvConf.forPod(pod, clusterDNS: agent.configuration.clusterDNS, clusterDomain: agent.configuration.clusterDomain,
                                    host: FileSystem.read(agent.configuration.hostResolvConf) ?? "")
        if dns.missingClusterDNS {
            event(warning: true, "MissingClusterDNS",
                  "pod: \"\(name)_\(namespace)(\(uid))\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy.")
        }
        try FileSystem.write(Array(dns.text.utf8), to: podDir + "/resolv.conf")
    }

    /// Tears down the network and the namespaces (the Pod's containers are all gone).
    func releaseSandbox() async {
        if let net = sandbox?.netPath ?? (Namespaces.isPinned(podDir + "/ns/net") ? podDir + "/ns/net" : nil) {
            do { try await agent.network.tearDown(pod: pod, netnsPath: net) } catch {
                logger.warning("pod network teardown failed", metadata: ["error": "\(error)"])
            }
        }
        PodSandbox.remove(podDir: podDir)
        sandbox = nil
        sandboxReady = false
    }

    /// Runs one container as long as its restart policy wants. For an init container, returns
    /// whether it succeeded; for an app container, returns when it will not run again.
    func supervise(_ kind: Kind, _ i: Int) async -> Bool {
        var crash = CrashBackoff()
        var pull = CrashBackoff()
        let cname = record(kind, i).name
        while !terminating && !Task.isCancelled {
            let id: String
            let startedAt: Double
            if let found = adopted.removeValue(forKey: cname) {
                id = found.description
                live[cname] = id
                do {
                    try agent.runtime.adopt(id: id, logPath: "\(podDir)/logs/\(cname)/\(found.attempt).log",
                                            cgroupsPath: PodCgroups.containerPath(podUID: uid, container: cname))
                } catch {
                    logger.warning("container adoption incomplete", metadata: ["id": "\(id)", "error": "\(error)"])
                }
                startedAt = record(kind, i).runningSince ?? Timestamp.now()
                change(kind, i) {
                    $0.state = .running(startedAt: startedAt)
                    $0.containerID = id
                    $0.restartCount = max($0.restartCount, found.attempt)
                    $0.runningSince = nil
                }
                resetProbes(kind, i)
                publish()
                logger.info("container adopted", metadata: ["container": "\(cname)", "id": "\(id)"])
            } else if let since = record(kind, i).runningSince {
                // It ran when the previous agent stopped and is gone now: as the kubelet reports a
                // container it cannot find, terminated with ContainerStatusUnknown (exit code
                // unknown: 137); then the restart policy decides, with the restart counted.
                let now = Timestamp.now()
                change(kind, i) { $0.runningSince = nil }
                let t = ContainerRecord.Termination(exitCode: 137, reason: "ContainerStatusUnknown",
                                                    message: "The container could not be located when the node agent restarted",
                                                    startedAt: since, finishedAt: now, containerID: record(kind, i).containerID)
                logger.info("container gone after restart", metadata: ["container": "\(cname)"])
                if let done = exited(kind, i, t, ranFor: now - since, crash: &crash) { return done }
                await restartAfterBackoff(kind, i)
                continue
            } else {
                switch await start(kind, i) {
                case .started(let cid, let at):
                    id = cid
                    startedAt = at
                case .waiting(let reason, let message, let image):
                    change(kind, i) { $0.state = .waiting(reason: reason, message: message) }
                    publish()
                    let delay = max(pull.exited(ranFor: 0), 1)
                    if reason == "ErrImagePull" {
                        await pause(1, container: cname)
                        change(kind, i) { $0.state = .waiting(reason: "ImagePullBackOff", message: "Back-off pulling image \"\(image)\"") }
                        event(cname, kind, warning: true, "BackOff", "Back-off pulling image \"\(image)\"")
                        publish()
                    }
                    await pause(delay, container: cname)
                    if changedSpecs.remove(cname) != nil { pull = CrashBackoff() }  // a new image: pull it now
                    continue
                case .failed(let t):
                    if let done = exited(kind, i, t, ranFor: 0, crash: &crash) { return done }
                    await restartAfterBackoff(kind, i)
                    continue
                }
            }
            guard let exit = await waitExitProbing(kind, i, id: id, startedAt: startedAt) else { return false }
            if terminating { return false }
            let now = Timestamp.now()
            let t = termination(exit, id: id, startedAt: startedAt, finishedAt: now)
            await removeContainer(cname, id)
            logger.info("container exited", metadata: ["container": "\(cname)", "exitCode": "\(t.exitCode)", "reason": "\(t.reason)"])
            if kind == .app, changedSpecs.remove(cname) != nil {
                // Stopped for a new spec: it starts again now, with a fresh back-off.
                change(kind, i) {
                    $0.lastState = .terminated(t)
                    $0.state = .waiting(reason: "ContainerCreating", message: nil)
                    $0.ready = false
                    $0.restartCount += 1
                }
                crash = CrashBackoff()
                pull = CrashBackoff()
                publish()
                continue
            }
            if let done = exited(kind, i, t, ranFor: now - startedAt, crash: &crash) { return done }
            await restartAfterBackoff(kind, i)
        }
        return false
    }

    /// Records an exit; returns the supervisor's result when the container will not run again,
    /// nil when it restarts (its back-off is then in `pendingBackoff`).
    func exited(_ kind: Kind, _ i: Int, _ t: ContainerRecord.Termination, ranFor: Double, crash: inout CrashBackoff) -> Bool? {
        let cname = record(kind, i).name
        change(kind, i) {
            $0.state = .terminated(t)
            $0.ready = false
            $0.containerID = t.containerID
        }
        let restart: Bool
        if kind == .initContainer {
            if t.exitCode == 0 { publish(); return true }
            restart = restartPolicy != "Never"
        } else {
            restart = restartPolicy == "Always" || (restartPolicy == "OnFailure" && t.exitCode != 0)
        }
        guard restart else { publish(); return false }
        let delay = crash.exited(ranFor: ranFor)
        change(kind, i) {
            $0.lastState = .terminated(t)
            if delay > 0 {
                $0.state = .waiting(reason: "CrashLoopBackOff",
                                    message: "back-off \(Int(delay))s restarting failed container=\(cname) pod=\(name)_\(namespace)(\(uid))")
            }
        }
        pendingBackoff[cname] = delay
        if delay > 0 {
            event(cname, kind, warning: true, "BackOff", "Back-off restarting failed container \(cname) in pod \(name)_\(namespace)(\(uid))")
        }
        publish()
        return nil
    }

    /// Waits out the container's back-off; the restart count goes up as the next run begins.
    func restartAfterBackoff(_ kind: Kind, _ i: Int) async {
        let cname = record(kind, i).name
        let wait = pendingBackoff.removeValue(forKey: cname) ?? 0
        if wait > 0 { await pause(wait, container: cname) }
        changedSpecs.remove(cname)  // a new spec ends the back-off; the next run uses it
        guard !terminating, !Task.isCancelled else { return }
        change(kind, i) { $0.restartCount += 1 }
    }

    /// Kubernetes' terminated state for an exit the runtime reported.
    func termination(_ exit: ExitStatus, id: String, startedAt: Double, finishedAt: Double) -> ContainerRecord.Termination {
        if exit.exitCode < 0 {
            // An adopted container: its parent was the previous agent process, so the code is lost.
            return .init(exitCode: 137, reason: "ContainerStatusUnknown",
                         message: "The container exited while the node agent was not its parent; its exit code is unknown",
                         startedAt: startedAt, finishedAt: finishedAt, containerID: id)
        }
        return .init(exitCode: exit.exitCode, signal: exit.signal, reason: exit.reason, startedAt: startedAt,
                     finishedAt: finishedAt, containerID: id)
    }

    /// The exit of a container this process started (reaped), or of an adopted one (polled
    /// through `runc state`; exit code -1: unknown).
    static func waitExit(_ runtime: RuncRuntime, _ id: String) async -> ExitStatus {
        if let status = try? await runtime.wait(id: id) { return status }
        while let st = try? await runtime.state(id: id), st.status != "stopped" {
            try? await Task.sleep(for: .milliseconds(500))
        }
        return ExitStatus(exitCode: -1)
    }

    /// Deletes a container from the runtime with its root file system (its log stays).
    func removeContainer(_ cname: String, _ id: String) async {
        do { try await agent.runtime.delete(id: id) } catch {
            logger.warning("container delete failed", metadata: ["id": "\(id)", "error": "\(error)"])
        }
        do { try await agent.images.removeRootfs(containerID: id) } catch {
            logger.warning("rootfs removal failed", metadata: ["id": "\(id)", "error": "\(error)"])
        }
        if live[cname] == id { live[cname] = nil }
    }
}

extension PodWorker {
    /// The app containers whose spec differs between two versions of the Pod (of a Pod's
    /// containers only `image` may change; the kubelet compares a hash of the whole spec).
    static func changedContainers(from old: JSON, to new: JSON) -> [String] {
        let before = Dictionary((old["spec", "containers"]?.array ?? []).map { ($0["name"]?.string ?? "", $0) }) { a, _ in a }
        return (new["spec", "containers"]?.array ?? []).compactMap { c in
            guard let cname = c["name"]?.string, let previous = before[cname], previous != c else { return nil }
            return cname
        }
    }

    /// A container's spec changed: a running container is stopped gracefully (its supervisor
    /// then starts it again with the new spec); a waiting one ends its back-off.
    func restartChanged(_ cname: String) {
        guard let i = apps.firstIndex(where: { $0.name == cname }) else { return }
        changedSpecs.insert(cname)
        guard let id = live[cname], apps[i].isRunning else { return }
        event(cname, .app, "Killing", "Container \(cname) definition changed, will be restarted")
        logger.info("container definition changed, restarting", metadata: ["container": "\(cname)"])
        let grace = Double(pod["spec", "terminationGracePeriodSeconds"]?.int ?? 30)
        Task { _ = await self.kill(.app, i, id: id, deadline: Timestamp.now() + max(grace, 0)) }
    }
}
