import Glibc

/// The mounts of this process's mount namespace (`/proc/self/mountinfo`), and mount(2) /
/// umount2(2) for tmpfs volumes.
enum MountTable {
    /// Mount points at or under `prefix` (an absolute, symlink-free path), deepest first.
    static func mountPoints(under prefix: String) -> [String] {
        guard let bytes = VolumeFS.read("/proc/self/mountinfo") else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        var points: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let point = unescape(String(fields[4]))
            if point == prefix || point.hasPrefix(prefix + "/") { points.append(point) }
        }
        return points.sorted { $0.count > $1.count }
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `path` is a mount point (its device differs from its parent's).
    static func isMountPoint(_ path: String) -> Bool {
        guard let a = VolumeFS.device(path), let b = VolumeFS.device(path + "/..") else { return false }
        return a != b
    }

    static func mountTmpfs(at path: String, sizeBytes: Int64?) throws(VolumeError) {
        let options = sizeBytes.map { "size=\($0)" } ?? ""
        guard mount("tmpfs", path, "tmpfs", 0, options) == 0 else {
            throw VolumeError(.io, "mount tmpfs on \(path)\(options.isEmpty ? "" : " (\(options))"): \(String(cString: strerror(errno)))")
        }
    }

    /// Unmounts `path`, lazily when it is busy; a path that is not mounted is fine.
    static func unmount(_ path: String) throws(VolumeError) {
        if umount2(path, 0) == 0 || errno == EINVAL || errno == ENOENT { return }
        if errno == EBUSY, umount2(path, Int32(MNT_DETACH)) == 0 { return }
        throw VolumeFS.errnoError("umount", path)
    }
}
