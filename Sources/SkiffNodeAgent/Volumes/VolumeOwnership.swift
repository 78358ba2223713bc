import Glibc
import SkiffModel

/// `securityContext.fsGroup` and the token owner, as the kubelet's `SetVolumeOwnership` and
/// `FsUserFrom`.
enum VolumeOwnership {
    static func fsGroup(_ pod: JSON) -> gid_t? {
        pod["spec", "securityContext", "fsGroup"]?.int.map { gid_t(truncatingIfNeeded: $0) }
    }

    /// The user every container runs as, when they all name the same one; else nil.
    static func fsUser(_ pod: JSON) -> uid_t? {
        let podUser = pod["spec", "securityContext", "runAsUser"]?.int
        var user: Int64?
        for c in (pod["spec", "initContainers"]?.array ?? []) + (pod["spec", "containers"]?.array ?? []) {
            guard let u = c["securityContext", "runAsUser"]?.int ?? podUser else { return nil }
            if let user, user != u { return nil }
            user = u
        }
        return user.map { uid_t(truncatingIfNeeded: $0) }
    }

    /// Gives everything under `dir` to `group` (symlinks themselves, not their targets) and
    /// adds group read (and write unless `readOnly`) permission; directories also get the
    /// setgid and group execute bits.
    static func apply(_ dir: String, group: gid_t, readOnly: Bool) throws(VolumeError) {
        var st = stat()
        guard lstat(dir, &st) == 0 else { throw VolumeFS.errnoError("lstat", dir) }
        guard lchown(dir, uid_t.max, group) == 0 else { throw VolumeFS.errnoError("chown", dir) }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFLNK { return }
        var mask: mode_t = readOnly ? 0o440 : 0o660
        if kind == S_IFDIR { mask |= S_ISGID | 0o110 }
        guard chmod(dir, (st.st_mode & 0o7777) | mask) == 0 else { throw VolumeFS.errnoError("chmod", dir) }
        if kind == S_IFDIR {
            for name in try VolumeFS.list(dir) { try apply(dir + "/" + name, group: group, readOnly: readOnly) }
        }
    }
}
