import Foundation
import Logging
import SkiffClient
import SkiffModel

/// Runs one Pod on this node: sandbox, init containers, app containers with restarts, status,
/// and graceful termination. Pod updates arrive through `update`; `run()` returns once the
/// Pod's containers and sandbox are removed (after deletion), or when its task is cancelled
/// (the agent stops: containers keep running).
actor PodWorker {
    enum Kind: Sendable { case initContainer, app }
    enum Update: Sendable { case pod(JSON), gone }

    let agent: NodeAgent
    let uid: String
    let namespace: String
    let name: String
    var pod: JSON
    var inits: [ContainerRecord]
    var apps: [ContainerRecord]
    /// Containers found running at the agent's start, by name.
    var adopted: [String: ContainerID]
    /// Containers that exist in the runtime now, name -> runtime id.
    var live: [String: String] = [:]
    /// Runtime ids `terminate` already stopped.
    var stopped: Set<String> = []
    var sandbox: PodSandbox?
    var sandboxReady = false
    var podIPs: [String] = []
    var startTime: Double?
    var terminalPhase: String?
    var terminating = false
    var lifecycleRunning = true
    var publishedStatus: JSON?
    /// A restarting container's back-off, set when it exits and taken before it starts again.
    var pendingBackoff: [String: Double] = [:]
    /// The probes of each container's current run, by name.
    var probeStates: [String: ContainerProbes] = [:]
    /// App containers whose spec changed (a new image): their current run is stopped and they
    /// start again at once with the new spec, whatever the restart policy, as the kubelet does.
    var changedSpecs: Set<String> = []

    nonisolated let updates: AsyncStream<Update>
    nonisolated let updatesIn: AsyncStream<Update>.Continuation
    nonisolated let dirty: AsyncStream<Void>
    nonisolated let dirtyIn: AsyncStream<Void>.Continuation

    init(agent: NodeAgent, pod: JSON, adopted: [ContainerID]) {
        self.agent = agent
        self.pod = pod
        uid = pod["metadata", "uid"]?.string ?? ""
        namespace = pod["metadata", "namespace"]?.string ?? "default"
        name = pod["metadata", "name"]?.string ?? ""
        self.adopted = Dictionary(adopted.map { ($0.container, $0) }) { a, b in a.attempt > b.attempt ? a : b }
        let status = pod["status"] ?? .object([:])
        inits = (pod["spec", "initContainers"]?.array ?? []).map {
            Self.restore($0, from: status["initContainerStatuses"], waiting: "PodInitializing")
        }
        apps = (pod["spec", "containers"]?.array ?? []).map {
            Self.restore($0, from: status["containerStatuses"], waiting: "ContainerCreating")
        }
        (updates, updatesIn) = AsyncStream<Update>.makeStream()
        (dirty, dirtyIn) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// A container's record, carrying over what the API already says (after an agent restart).
    static func restore(_ c: JSON, from statuses: JSON?, waiting: String) -> ContainerRecord {
        let name = c["name"]?.string ?? ""
        var r = ContainerRecord(name: name, image: c["image"]?.string ?? "", waitingReason: waiting)
        guard let s = statuses?.array?.first(where: { $0["name"]?.string == name }) else { return r }
        r.restartCount = Int(s["restartCount"]?.int ?? 0)
        r.imageID = s["imageID"]?.string ?? ""
        r.lastState = Self.parseState(s["lastState"])
        switch Self.parseState(s["state"]) {
        case .running(let at): r.runningSince = at  // confirmed only if the container is found and adopted
        case .terminated(let t): r.state = .terminated(t)
        default: break
        }
        if let id = s["containerID"]?.string { r.containerID = String(id.dropFirst("runc://".count)) }
        return r
    }

    static func parseState(_ j: JSON?) -> ContainerRecord.State? {
        guard let j else { return nil }
        if let r = j["running"] { return .running(startedAt: r["startedAt"]?.string.flatMap(Timestamp.parse) ?? Timestamp.now()) }
        if let t = j["terminated"] {
            return .terminated(.init(exitCode: Int32(truncatingIfNeeded: t["exitCode"]?.int ?? 0),
                                     signal: t["signal"]?.int.map { Int32(truncatingIfNeeded: $0) },
                                     reason: t["reason"]?.string ?? "", message: t["message"]?.string,
                                     startedAt: t["startedAt"]?.string.flatMap(Timestamp.parse),
                                     finishedAt: t["finishedAt"]?.string.flatMap(Timestamp.parse) ?? Timestamp.now(),
                                     containerID: t["containerID"]?.string.map { String($0.dropFirst("runc://".count)) }))
        }
        if let w = j["waiting"] { return .waiting(reason: w["reason"]?.string ?? "", message: w["message"]?.string) }
        return nil
    }

    nonisolated func update(_ pod: JSON) { updatesIn.yield(.pod(pod)) }
    nonisolated func gone() { updatesIn.yield(.gone) }

    var logger: Logger {
        var l = agent.logger
        l[metadataKey: "k8s.namespace"] = "\(namespace)"
        l[metadataKey: "k8s.name"] = "\(name)"
        return l
    }

    var podDir: String { agent.podDir(uid) }
    var restartPolicy: String { pod["spec", "restartPolicy"]?.string ?? "Always" }

    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.writeStatuses() }
            group.addTask { await self.lifecycle() }
            group.addTask { await self.refreshVolumes() }
            for await u in updates {
                switch u {
                case .pod(let p):
                    let changed = Self.changedContainers(from: pod, to: p)
                    pod = p
                    if p["metadata", "deletionTimestamp"] == nil {
                        for cname in changed { restartChanged(cname) }
                    }
                    if p["metadata", "deletionTimestamp"] != nil {
                        await terminate(grace: Self.gracePeriod(p), deleteFromAPI: true)
                    }
                case .gone:
                    await terminate(grace: min(Self.gracePeriod(pod), 2), deleteFromAPI: false)
                }
                if terminating { break }
            }
            updatesIn.finish()
            dirtyIn.finish()
        }
        agent.workerFinished(uid: uid)
    }

    /// `metadata.deletionGracePeriodSeconds`, else `spec.terminationGracePeriodSeconds`, else 30.
    static func gracePeriod(_ pod: JSON) -> Double {
        Double(pod["metadata", "deletionGracePeriodSeconds"]?.int ?? pod["spec", "terminationGracePeriodSeconds"]?.int ?? 30)
    }

    // MARK: status

    /// Asks for the status to be written (the writer coalesces requests).
    func publish() { dirtyIn.yield() }

    func writeStatuses() async {
        for await _ in dirty {
            let status = currentStatus()
            if status == publishedStatus { continue }
            do {
                _ = try await agent.client.patch(.pods, namespace: namespace, name: name, type: .merge, ["status": status],
                                                 subresource: "status")
                publishedStatus = status
            } catch let e as APIError where e.isNotFound {
                return
            } catch {
                logger.warning("pod status update failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(500))
                publish()
            }
        }
    }

    func currentStatus() -> JSON {
        let input = PodStatusBuilder.Input(initContainers: inits, containers: apps, sandboxReady: sandboxReady,
                                           hostIP: agent.nodeIP, podIPs: podIPs, startTime: startTime, terminalPhase: terminalPhase)
        return PodStatusBuilder.status(pod: pod, input: input, now: Timestamp.now())
    }

    func event(_ container: String? = nil, _ kind: Kind = .app, warning: Bool = false, _ reason: String, _ message: String) {
        agent.events.record(pod, container: container, isInit: kind == .initContainer, warning: warning, reason: reason, message: message)
    }

    func record(_ kind: Kind, _ i: Int) -> ContainerRecord { kind == .app ? apps[i] : inits[i] }

    func change(_ kind: Kind, _ i: Int, _ body: (inout ContainerRecord) -> Void) {
        if kind == .app { body(&apps[i]) } else { body(&inits[i]) }
    }

    func spec(_ kind: Kind, _ i: Int) -> JSON {
        (pod["spec", kind == .app ? "containers" : "initContainers"]?.array ?? [])[i]
    }

    /// Sleeps `seconds`, waking early when the Pod starts terminating, the task is cancelled, or
    /// the spec of `container` changed.
    func pause(_ seconds: Double, container: String? = nil) async {
        let end = Timestamp.now() + seconds
        while !terminating && !Task.isCancelled && Timestamp.now() < end && !(container.map(changedSpecs.contains) ?? false) {
            try? await Task.sleep(for: .milliseconds(Int64(min(250, max(1, (end - Timestamp.now()) * 1000)))))
        }
    }
}
