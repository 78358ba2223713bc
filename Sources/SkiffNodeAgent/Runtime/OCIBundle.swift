import Glibc
import SkiffModel

/// Writes an OCI runtime bundle (`config.json` next to a rootfs) for a `ContainerSpec`.
public enum OCIBundle {
    /// The config.json for `spec` with its root filesystem at `rootfs`.
    public static func config(for spec: ContainerSpec, rootfs: String) -> JSON {
        var process: JSON = .object([
            "terminal": .bool(spec.tty),
            "user": .object(["uid": .int(Int64(spec.uid)), "gid": .int(Int64(spec.gid))]),
            "args": .array(spec.args.map(JSON.string)),
            "env": .array(spec.env.map(JSON.string)),
            "cwd": .string(spec.workingDir),
            "noNewPrivileges": .bool(spec.noNewPrivileges),
            "oomScoreAdj": .int(Int64(spec.oomScoreAdj)),
            "rlimits": .array([nofile()]),
        ])
        let caps = JSON.array(spec.capabilities.map(JSON.string))
        // The inheritable set stays empty (as containerd since CVE-2022-24769).
        process["capabilities"] = .object(["bounding": caps, "effective": caps, "permitted": caps])

        var namespaces: [JSON] = [ns("pid"), ns("mount")]
        switch spec.namespaces {
        case .own:
            namespaces += [ns("network"), ns("ipc"), ns("uts")]
        case .joinProcess(let pid):
            namespaces += ["net": "network", "ipc": "ipc", "uts": "uts"].sorted { $0.key < $1.key }.map {
                ns($0.value, path: "/proc/\(pid)/ns/\($0.key)")
            }
        case .joinPaths(let net, let ipc, let uts):
            if let net { namespaces.append(ns("network", path: net)) }
            if let ipc { namespaces.append(ns("ipc", path: ipc)) }
            if let uts { namespaces.append(ns("uts", path: uts)) }
        }

        var linux: JSON = .object([
            "namespaces": .array(namespaces),
            "resources": resources(spec),
        ])
        if !spec.cgroupsPath.isEmpty { linux["cgroupsPath"] = .string(spec.cgroupsPath) }
        if !spec.privileged {
            linux["maskedPaths"] = .array(maskedPaths.map(JSON.string))
            linux["readonlyPaths"] = .array(readonlyPaths.map(JSON.string))
            if spec.seccompRuntimeDefault { linux["seccomp"] = Seccomp.runtimeDefault }
        }

        var config: JSON = .object([
            "ociVersion": "1.0.2",
            "process": process,
            "root": .object(["path": .string(rootfs), "readonly": .bool(spec.readOnlyRootFilesystem)]),
            "mounts": .array((defaultMounts(privileged: spec.privileged) + spec.mounts).map(mountJSON)),
            "linux": linux,
        ])
        if case .own = spec.namespaces, !spec.hostname.isEmpty { config["hostname"] = .string(spec.hostname) }
        return config
    }

    /// Writes `<bundle>/config.json`.
    public static func write(_ spec: ContainerSpec, rootfs: String, bundle: String) throws {
        try FileSystem.makeDirectories(bundle)
        try FileSystem.write(config(for: spec, rootfs: rootfs).serialized(sortedKeys: true), to: "\(bundle)/config.json")
    }

    /// RLIMIT_NOFILE at 1048576 (containerd's default), capped by the agent's own hard limit.
    static func nofile() -> JSON {
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        let n = Int64(clamping: min(UInt64(lim.rlim_max), 1_048_576))
        return .object(["type": "RLIMIT_NOFILE", "hard": .int(n), "soft": .int(n)])
    }

    static func ns(_ type: String, path: String? = nil) -> JSON {
        var o: JSON = .object(["type": .string(type)])
        if let path { o["path"] = .string(path) }
        return o
    }

    static func resources(_ spec: ContainerSpec) -> JSON {
        var r: JSON = .object([:])
        if spec.privileged {
            r["devices"] = .array([.object(["allow": .bool(true), "access": "rwm"])])
        } else {
            r["devices"] = .array([.object(["allow": .bool(false), "access": "rwm"])])
        }
        var cpu: JSON = .object([:])
        if let s = spec.resources.cpuShares { cpu["shares"] = .int(Int64(s)) }
        if let q = spec.resources.cpuQuota { cpu["quota"] = .int(q) }
        if let p = spec.resources.cpuPeriod { cpu["period"] = .int(Int64(p)) }
        if cpu.object?.isEmpty == false { r["cpu"] = cpu }
        if let m = spec.resources.memoryLimit {
            // Swap equal to the limit: no swap use beyond it (the kubelet's v1 behaviour).
            r["memory"] = .object(["limit": .int(m), "swap": .int(m)])
        }
        if let p = spec.resources.pidsLimit { r["pids"] = .object(["limit": .int(p)]) }
        return r
    }

    static func mountJSON(_ m: MountSpec) -> JSON {
        .object([
            "destination": .string(m.destination), "source": .string(m.source),
            "type": .string(m.type), "options": .array(m.options.map(JSON.string)),
        ])
    }

    static func defaultMounts(privileged: Bool) -> [MountSpec] {
        [
            MountSpec(destination: "/proc", source: "proc", type: "proc", options: ["nosuid", "noexec", "nodev"]),
            MountSpec(destination: "/dev", source: "tmpfs", type: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            MountSpec(destination: "/dev/pts", source: "devpts", type: "devpts",
                      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            MountSpec(destination: "/dev/shm", source: "shm", type: "tmpfs", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            MountSpec(destination: "/dev/mqueue", source: "mqueue", type: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            MountSpec(destination: "/sys", source: "sysfs", type: "sysfs", options: ["nosuid", "noexec", "nodev", privileged ? "rw" : "ro"]),
            MountSpec(destination: "/sys/fs/cgroup", source: "cgroup", type: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"]),
        ]
    }

    static let maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
}
