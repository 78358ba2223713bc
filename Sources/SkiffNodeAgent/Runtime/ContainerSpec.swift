import SkiffModel

/// The parts of an image's config (`config` in the OCI image config) a container needs.
public struct ImageConfig: Sendable, Hashable {
    public var entrypoint: [String]
    public var cmd: [String]
    public var env: [String]
    public var workingDir: String
    public var user: String

    public init(entrypoint: [String] = [], cmd: [String] = [], env: [String] = [], workingDir: String = "", user: String = "") {
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir
        self.user = user
    }
}

/// A mount as the OCI runtime spec has it (volumes are resolved to host paths by the caller).
public struct MountSpec: Sendable, Hashable {
    public var destination: String
    public var source: String
    public var type: String
    public var options: [String]

    public init(destination: String, source: String, type: String = "bind", options: [String] = ["rbind", "rw"]) {
        self.destination = destination
        self.source = source
        self.type = type
        self.options = options
    }
}

/// cgroup settings for one container.
public struct ResourceSpec: Sendable, Hashable {
    public var cpuShares: UInt64?
    public var cpuQuota: Int64?
    public var cpuPeriod: UInt64?
    public var memoryLimit: Int64?
    public var pidsLimit: Int64?

    public init(cpuShares: UInt64? = nil, cpuQuota: Int64? = nil, cpuPeriod: UInt64? = nil, memoryLimit: Int64? = nil, pidsLimit: Int64? = nil) {
        self.cpuShares = cpuShares
        self.cpuQuota = cpuQuota
        self.cpuPeriod = cpuPeriod
        self.memoryLimit = memoryLimit
        self.pidsLimit = pidsLimit
    }
}

/// Where a container's network, IPC and UTS namespaces come from.
public enum NamespaceMode: Sendable, Hashable {
    /// New namespaces (the Pod's infra container).
    case own
    /// Join the namespaces of this process (`/proc/<pid>/ns/{net,ipc,uts}`).
    case joinProcess(Int32)
    /// Join the namespaces pinned at these paths (a `PodSandbox`); nil shares the host's.
    case joinPaths(net: String?, ipc: String?, uts: String?)
}

/// Everything the runtime needs to run one container; derived from a Pod's container.
public struct ContainerSpec: Sendable, Hashable {
    public var name: String
    public var args: [String]
    public var env: [String]
    public var workingDir: String
    public var uid: UInt32
    public var gid: UInt32
    public var hostname: String
    public var mounts: [MountSpec]
    public var readOnlyRootFilesystem: Bool
    public var capabilities: [String]
    public var privileged: Bool
    public var noNewPrivileges: Bool
    public var seccompRuntimeDefault: Bool
    public var namespaces: NamespaceMode
    public var resources: ResourceSpec
    public var cgroupsPath: String
    public var oomScoreAdj: Int
    /// `stdin: true`: the container's stdin is a FIFO the agent keeps, for `kubectl attach -i`
    /// (else `/dev/null`).
    public var stdin: Bool = false
    /// `stdinOnce: true` (with `stdin`): the container's stdin is closed once the first attached
    /// client closes its stdin, as the kubelet does.
    public var stdinOnce: Bool = false
    /// `tty: true`: the container runs on a terminal (OCI `process.terminal`); its stdin and
    /// output are the terminal's, and its output is logged as stdout.
    public var tty: Bool = false

    public init(name: String, args: [String]) {
        self.name = name
        self.args = args
        env = ["PATH=\(ContainerSpec.defaultPath)"]
        workingDir = "/"
        uid = 0
        gid = 0
        hostname = ""
        mounts = []
        readOnlyRootFilesystem = false
        capabilities = Capabilities.dockerDefault
        privileged = false
        noNewPrivileges = false
        seccompRuntimeDefault = false
        namespaces = .own
        resources = ResourceSpec()
        cgroupsPath = ""
        oomScoreAdj = 0
    }

    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

/// Errors turning a Pod's container into a `ContainerSpec`.
public struct ContainerSpecError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

extension ContainerSpec {
    /// Kubernetes' rule: `command` replaces the image's Entrypoint (and drops its Cmd);
    /// `args` replaces the image's Cmd.
    public static func commandLine(command: [String]?, args: [String]?, image: ImageConfig) -> [String] {
        if let command, !command.isEmpty { return command + (args ?? []) }
        if let args, !args.isEmpty { return image.entrypoint + args }
        return image.entrypoint + image.cmd
    }

    /// The spec for container `containerName` of `pod` (a Pod object). `env` is the
    /// container's environment already resolved (valueFrom, envFrom, `$(VAR)`), in order;
    /// `mounts` are its volume mounts resolved to host paths.
    public static func forPod(
        _ pod: JSON, container containerName: String, image: ImageConfig,
        env: [(String, String)] = [], mounts: [MountSpec] = [],
        infraPid: Int32?, nodeMemoryBytes: Int64
    ) throws(ContainerSpecError) -> ContainerSpec {
        let containers = (pod["spec", "initContainers"]?.array ?? []) + (pod["spec", "containers"]?.array ?? [])
        guard let c = containers.first(where: { $0["name"]?.string == containerName }) else {
            throw ContainerSpecError("pod has no container \(containerName)")
        }
        let args = commandLine(command: c["command"]?.array?.compactMap(\.string),
                               args: c["args"]?.array?.compactMap(\.string), image: image)
        guard !args.isEmpty else { throw ContainerSpecError("no command specified for container \(containerName)") }
        var spec = ContainerSpec(name: containerName, args: args)
        spec.stdin = c["stdin"]?.bool ?? false
        spec.stdinOnce = spec.stdin && (c["stdinOnce"]?.bool ?? false)
        spec.tty = c["tty"]?.bool ?? false

        var merged: [(String, String)] = image.env.map { kv in
            let parts = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        for (k, v) in env {
            if let i = merged.firstIndex(where: { $0.0 == k }) { merged[i].1 = v } else { merged.append((k, v)) }
        }
        if !merged.contains(where: { $0.0 == "PATH" }) { merged.insert(("PATH", defaultPath), at: 0) }
        // As containerd's WithTTY: a terminal comes with TERM=xterm.
        if spec.tty && !merged.contains(where: { $0.0 == "TERM" }) { merged.append(("TERM", "xterm")) }
        spec.env = merged.map { "\($0.0)=\($0.1)" }

        if let wd = c["workingDir"]?.string, !wd.isEmpty { spec.workingDir = wd }
        else if !image.workingDir.isEmpty { spec.workingDir = image.workingDir }

        let podSC = pod["spec", "securityContext"] ?? .object([:])
        let sc = c["securityContext"] ?? .object([:])
        if let (u, g) = numericUser(image.user) { spec.uid = u; spec.gid = g ?? 0 }
        if let u = sc["runAsUser"]?.int ?? podSC["runAsUser"]?.int { spec.uid = UInt32(truncatingIfNeeded: u) }
        if let g = sc["runAsGroup"]?.int ?? podSC["runAsGroup"]?.int { spec.gid = UInt32(truncatingIfNeeded: g) }

        spec.privileged = sc["privileged"]?.bool ?? false
        spec.readOnlyRootFilesystem = sc["readOnlyRootFilesystem"]?.bool ?? false
        // allowPrivilegeEscalation defaults to true; false sets no_new_privs.
        spec.noNewPrivileges = sc["allowPrivilegeEscalation"]?.bool == false && !spec.privileged
        spec.capabilities = Capabilities.resolve(
            add: sc["capabilities", "add"]?.array?.compactMap(\.string) ?? [],
            drop: sc["capabilities", "drop"]?.array?.compactMap(\.string) ?? [],
            privileged: spec.privileged)
        let seccomp = sc["seccompProfile", "type"]?.string ?? podSC["seccompProfile", "type"]?.string
        spec.seccompRuntimeDefault = seccomp == "RuntimeDefault" && !spec.privileged

        spec.mounts = mounts
        if let infraPid { spec.namespaces = .joinProcess(infraPid) }
        let uid = pod["metadata", "uid"]?.string ?? ""
        spec.cgroupsPath = PodCgroups.containerPath(podUID: uid, container: containerName)
        spec.resources = Resources.cgroupSettings(for: c)
        let qos = QOSClass.of(pod: pod)
        spec.oomScoreAdj = qos.oomScoreAdj(container: c, nodeMemoryBytes: nodeMemoryBytes)
        return spec
    }

    /// "uid" or "uid:gid" (names need the image's /etc/passwd; not handled here).
    static func numericUser(_ user: String) -> (UInt32, UInt32?)? {
        if user.isEmpty { return nil }
        let parts = user.split(separator: ":", maxSplits: 1)
        guard let u = UInt32(parts[0]) else { return nil }
        return (u, parts.count > 1 ? UInt32(parts[1]) : nil)
    }
}
