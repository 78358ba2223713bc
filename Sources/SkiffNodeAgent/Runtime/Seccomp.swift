import SkiffModel

/// A RuntimeDefault seccomp profile: everything allowed except the system calls Docker's
/// default profile refuses to containers without extra capabilities (they fail with EPERM).
public enum Seccomp {
    public static let blocked = [
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
        "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
        "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount", "move_pages",
        "name_to_handle_at", "nfsservctl", "open_by_handle_at", "perf_event_open", "pivot_root",
        "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot",
        "request_key", "set_mempolicy", "setns", "settimeofday", "swapon", "swapoff", "sysfs",
        "umount2", "unshare", "uselib", "userfaultfd", "ustat",
    ]

    public static var runtimeDefault: JSON {
        .object([
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": .array([.object([
                "names": .array(blocked.map(JSON.string)),
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": .int(1),
            ])]),
        ])
    }
}
