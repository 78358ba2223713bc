import Foundation
import SkiffClient
import SkiffModel

extension PodWorker {
    enum StartResult: Sendable {
        /// Running: runtime id and start time.
        case started(String, Double)
        /// Not created: a waiting reason and message (image or configuration), to retry later.
        case waiting(String, String, image: String)
        /// The runtime could not run it: counts as an exit.
        case failed(ContainerRecord.Termination)
    }

    /// Resolves the image and environment, creates and starts one run of a container.
    func start(_ kind: Kind, _ i: Int) async -> StartResult {
        let c = spec(kind, i)
        let cname = record(kind, i).name
        let imageName = c["image"]?.string ?? ""
        let image: ImageStore.Image
        switch await ensureImage(c, kind: kind) {
        case .success(let found): image = found
        case .failure(let e): return .waiting(e.reason, e.message, image: imageName)
        }
        change(kind, i) {
            $0.image = imageName
            $0.imageID = Self.imageID(image)
        }
        if terminating { return .waiting("ContainerCreating", "", image: imageName) }

        let env: [(String, String)]
        do {
            let sources = try await envSources(for: c)
            env = try EnvResolver.resolve(pod: podWithIPs, container: c, sources: sources,
                                          nodeAllocatable: agent.allocatable())
        } catch {
            event(cname, kind, warning: true, "Failed", "Error: \(error)")
            return .waiting("CreateContainerConfigError", "\(error)", image: imageName)
        }
        let attempt = record(kind, i).restartCount
        let id = ContainerID(podUID: uid, container: cname, attempt: attempt).description
        let spec: ContainerSpec
        let rootfs: String
        do {
            spec = try await containerSpec(c, kind: kind, index: i, env: env, image: image)
            rootfs = try await agent.images.prepareRootfs(image, containerID: id).path
        } catch {
            event(cname, kind, warning: true, "Failed", "Error: \(error)")
            return .waiting("CreateContainerError", "\(error)", image: imageName)
        }
        let logDir = "\(podDir)/logs/\(cname)"
        do {
            try FileSystem.makeDirectories(logDir)
            if FileSystem.exists("\(agent.runtime.stateRoot)/\(id)") { try await agent.runtime.delete(id: id) }
            try await agent.runtime.create(id: id, spec: spec, rootfs: rootfs, logPath: "\(logDir)/\(attempt).log")
            live[cname] = id
            event(cname, kind, "Created", "Created container \(cname)")
            try await agent.runtime.start(id: id)
        } catch {
            event(cname, kind, warning: true, "Failed", "Error: \(error)")
            await removeContainer(cname, id)
            return .failed(.init(exitCode: 128, reason: "ContainerCannotRun", message: "\(error)", startedAt: nil,
                                 finishedAt: Timestamp.now(), containerID: id))
        }
        let now = Timestamp.now()
        event(cname, kind, "Started", "Started container \(cname)")
        change(kind, i) {
            $0.state = .running(startedAt: now)
            $0.containerID = id
        }
        resetProbes(kind, i)
        publish()
        if let command = c["lifecycle", "postStart", "exec", "command"]?.array?.compactMap(\.string), !command.isEmpty {
            await postStart(cname, kind, id: id, command: command)
        }
        return .started(id, now)
    }

    /// The postStart exec hook; a failure kills the container (it then restarts per policy).
    func postStart(_ cname: String, _ kind: Kind, id: String, command: [String]) async {
        let result = try? await agent.runtime.exec(id: id, args: command, env: [])
        guard let result, result.exitCode == 0 else {
            let detail = result.map { String(decoding: $0.stdout + $0.stderr, as: UTF8.self) } ?? "exec failed"
            event(cname, kind, warning: true, "FailedPostStartHook",
                  "PostStartHook failed: command '\(command.joined(separator: " "))' exited with \(result?.exitCode ?? -1): \(detail)")
            try? await agent.runtime.kill(id: id, signal: 9)
            return
        }
    }

    /// The Pod with the IPs this node gave it (for the downward API).
    var podWithIPs: JSON {
        var p = pod
        p["status", "hostIP"] = .string(agent.nodeIP)
        p["status", "hostIPs"] = [["ip": .string(agent.nodeIP)]]
        if let ip = podIPs.first {
            p["status", "podIP"] = .string(ip)
            p["status", "podIPs"] = .array(podIPs.map { ["ip": .string($0)] })
        }
        return p
    }

    /// The runtime spec: the Pod's container with `$(VAR)` expanded in command and args, the
    /// sandbox's namespaces, its volumes and the managed /etc/hosts.
    func containerSpec(_ c: JSON, kind: Kind, index i: Int, env: [(String, String)], image: ImageStore.Image) async throws -> ContainerSpec {
        let config = try await agent.images.config(image)
        var values: [String: String] = [:]
        for (k, v) in env { values[k] = v }
        var expanded = pod
        let list = kind == .app ? "containers" : "initContainers"
        var containers = expanded["spec", list]?.array ?? []
        for field in ["command", "args"] {
            if let items = c[field]?.array {
                containers[i][field] = .array(items.map { .string(EnvResolver.expand($0.string ?? "") { values[$0] }) })
            }
        }
        expanded["spec", list] = .array(containers)
        var mounts = try await agent.volumes.mounts(pod: pod, container: c, podDir: podDir, env: env)
        let hostNetwork = pod["spec", "hostNetwork"]?.bool ?? false
        if !hostNetwork && !mounts.contains(where: { $0.destination == "/etc/hosts" }) {
            mounts.append(MountSpec(destination: "/etc/hosts", source: podDir + "/etc-hosts", options: ["rbind", "rw"]))
        }
        if !mounts.contains(where: { $0.destination == "/etc/resolv.conf" }) {
            mounts.append(MountSpec(destination: "/etc/resolv.conf", source: podDir + "/resolv.conf", options: ["rbind", "rw"]))
        }
        var spec = try ContainerSpec.forPod(expanded, container: c["name"]?.string ?? "", image: config.containerDefaults,
                                            env: env, mounts: mounts, infraPid: nil, nodeMemoryBytes: FileSystem.memoryTotal())
        spec.namespaces = sandbox?.namespaces ?? .joinPaths(net: nil, ipc: nil, uts: nil)
        return spec
    }

    /// The ConfigMaps and Secrets a container refers to (missing ones are left out).
    func envSources(for c: JSON) async throws -> EnvSources {
        let refs = EnvSources.references(of: c)
        var sources = EnvSources()
        for n in refs.configMaps {
            if let cm = try await getOptional(.configMaps, n) { sources.configMaps[n] = EnvSources.configMapValues(cm) }
        }
        for n in refs.secrets {
            if let s = try await getOptional(.secrets, n) { sources.secrets[n] = EnvSources.secretValues(s) }
        }
        return sources
    }

    func getOptional(_ resource: Resource, _ objectName: String) async throws -> JSON? {
        try await agent.client.getIfExists(resource, namespace: namespace, name: objectName)
    }

    static func imageID(_ image: ImageStore.Image) -> String {
        let name = image.name
        let repo = name.lastIndex(of: ":").flatMap { i in name[i...].contains("/") ? nil : String(name[..<i]) } ?? name
        return "\(repo)@\(image.digest)"
    }
}
