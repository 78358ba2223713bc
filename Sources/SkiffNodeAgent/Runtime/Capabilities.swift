/// Linux capabilities for containers, as Docker and containerd grant them.
public enum Capabilities {
    /// Docker's (and containerd's) default capability set.
    public static let dockerDefault = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability runc 1.1 knows (CAP_LAST_CAP is 40 on current kernels).
    public static let all = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Kubernetes names capabilities without the `CAP_` prefix ("NET_ADMIN"); "ALL" means all.
    public static func resolve(add: [String], drop: [String], privileged: Bool) -> [String] {
        if privileged { return all }
        func norm(_ s: String) -> String {
            let u = s.uppercased()
            return u.hasPrefix("CAP_") ? u : "CAP_" + u
        }
        let addN = add.map(norm), dropN = drop.map(norm)
        var caps = addN.contains("CAP_ALL") ? all : dockerDefault
        if dropN.contains("CAP_ALL") { caps = [] }
        caps.removeAll { dropN.contains($0) }
        // As containerd: drops first, then adds (an added capability wins over a drop).
        for c in addN where c != "CAP_ALL" && !caps.contains(c) { caps.append(c) }
        return caps
    }
}
