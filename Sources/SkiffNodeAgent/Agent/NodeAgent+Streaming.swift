import Foundation
import SkiffModel

/// `kubectl logs` and `kubectl exec` reach the agent's Pods through `KubeletServer`.
extension NodeAgent: KubeletStreamingBackend {
    func worker(namespace: String, pod: String) -> PodWorker? {
        workers.withLock { $0.values.first { $0.namespace == namespace && $0.name == pod } }
    }

    public func logPath(namespace: String, pod: String, container: String, previous: Bool) async throws -> String? {
        guard let w = worker(namespace: namespace, pod: pod) else { return nil }
        guard await w.hasContainer(container) else { return nil }
        // One file per run, `<restart count>.log`: the newest is the current run.
        let dir = "\(podDir(w.uid))/logs/\(container)"
        let attempts = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .compactMap { $0.hasSuffix(".log") ? Int($0.dropLast(4)) : nil }.sorted()
        if previous {
            guard attempts.count >= 2 else {
                throw KubeletStreamingError.badRequest("previous terminated container \"\(container)\" in pod \"\(pod)\" not found")
            }
            return "\(dir)/\(attempts[attempts.count - 2]).log"
        }
        guard let last = attempts.last else {
            let reason = await w.waitingReason(container) ?? "ContainerCreating"
            throw KubeletStreamingError.badRequest("container \"\(container)\" in pod \"\(pod)\" is waiting to start: \(reason)")
        }
        return "\(dir)/\(last).log"
    }

    public func isRunning(namespace: String, pod: String, container: String) async -> Bool {
        guard let w = worker(namespace: namespace, pod: pod) else { return false }
        return await w.runningID(container) != nil
    }

    public func exec(namespace: String, pod: String, container: String, command: [String], tty: Bool,
                     stdin: Bool) async throws -> ExecSession {
        guard let w = worker(namespace: namespace, pod: pod), await w.hasContainer(container) else {
            throw KubeletStreamingError.notFound("pod \"\(pod)\" container \"\(container)\" not found")
        }
        guard let id = await w.runningID(container) else {
            throw KubeletStreamingError(status: 500, "container not found (\"\(container)\")")
        }
        return try await runtime.execSession(id: id, args: command, tty: tty, stdin: stdin)
    }
}

extension PodWorker {
    func hasContainer(_ name: String) -> Bool { (inits + apps).contains { $0.name == name } }

    func waitingReason(_ name: String) -> String? {
        guard case .waiting(let reason, _)? = (inits + apps).first(where: { $0.name == name })?.state else { return nil }
        return reason
    }

    /// The runtime id of the container while it runs.
    func runningID(_ name: String) -> String? {
        guard (inits + apps).first(where: { $0.name == name })?.isRunning == true else { return nil }
        return live[name]
    }
}

extension NodeAgent {
    /// `kubectl port-forward`: a connection to `port` on the Pod's loopback, made inside its
    /// network namespace (the host's for a host-network Pod).
    public func portForward(namespace: String, pod: String, port: Int) async throws -> Int32 {
        guard let w = worker(namespace: namespace, pod: pod) else {
            throw KubeletStreamingError.notFound("pod not found (\"\(pod)_\(namespace)\")")
        }
        guard let sandbox = await w.sandbox, await w.sandboxReady else {
            throw KubeletStreamingError(status: 500, "failed to find sandbox for pod \"\(pod)\": sandbox is not ready")
        }
        return try await Namespaces.connectLoopback(netPath: sandbox.netPath, port: port)
    }
}

extension NodeAgent {
    /// `kubectl attach`: the running container's output, and its stdin when the container has
    /// `stdin: true` and the client asked for it.
    ///
    /// As the kubelet, whether the session is on a terminal follows the container's `tty`, not
    /// the request (a process cannot gain or lose its terminal once started): kubectl itself
    /// drops `-t` for a container without one and forces it for a container with one.
    public func attach(namespace: String, pod: String, container: String, stdin: Bool, tty: Bool) async throws -> AttachSession {
        guard let w = worker(namespace: namespace, pod: pod), await w.hasContainer(container) else {
            throw KubeletStreamingError.notFound("pod \"\(pod)\" container \"\(container)\" not found")
        }
        guard let id = await w.runningID(container) else {
            throw KubeletStreamingError(status: 500, "container not found (\"\(container)\")")
        }
        return try runtime.attach(id: id, stdin: stdin)
    }
}
