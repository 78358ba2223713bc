import Glibc

/// POSIX file helpers for volumes: never follow symlinks when removing, never cross into
/// another file system when removing a tree.
enum VolumeFS {
    enum Kind: Equatable { case missing, file, directory, symlink, socket, charDevice, blockDevice, other }

    static func errnoError(_ what: String, _ path: String) -> VolumeError {
        VolumeError(.io, "\(what) \(path): \(String(cString: strerror(errno)))")
    }

    /// The kind of `path` itself (`lstat`), or of what it points to (`stat`) when `follow`.
    static func kind(_ path: String, follow: Bool = false) -> Kind {
        var st = stat()
        guard (follow ? stat(path, &st) : lstat(path, &st)) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        case S_IFSOCK: return .socket
        case S_IFCHR: return .charDevice
        case S_IFBLK: return .blockDevice
        default: return .other
        }
    }

    static func exists(_ path: String) -> Bool { kind(path) != .missing }

    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }

    static func device(_ path: String) -> dev_t? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return st.st_dev
    }

    /// `mkdir -p` with `mode` for each directory it creates.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(VolumeError) {
        if kind(path, follow: true) == .directory { return }
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST { throw errnoError("mkdir", current) }
        }
    }

    static func chmod(_ path: String, _ mode: mode_t) throws(VolumeError) {
        guard Glibc.chmod(path, mode) == 0 else { throw errnoError("chmod", path) }
    }

    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func symlink(_ target: String, at path: String) throws(VolumeError) {
        guard Glibc.symlink(target, path) == 0 else { throw errnoError("symlink", path) }
    }

    static func rename(_ from: String, _ to: String) throws(VolumeError) {
        guard Glibc.rename(from, to) == 0 else { throw errnoError("rename", from) }
    }

    /// `realpath(3)`, nil when a component does not exist.
    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func list(_ path: String) throws(VolumeError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw errnoError("opendir", path)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { return out }
            out += buf[0..<n]
        }
    }

    /// Creates `path` (which must not exist) with `bytes`, exactly `mode` (umask ignored), and
    /// owner `uid` when given.
    static func createFile(_ path: String, _ bytes: [UInt8], mode: mode_t, uid: uid_t? = nil) throws(VolumeError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw errnoError("create", path) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; throw errnoError("write", path) }
            offset += n
        }
        guard fchmod(fd, mode) == 0 else { throw errnoError("chmod", path) }
        if let uid, fchown(fd, uid, gid_t.max) != 0 { throw errnoError("chown", path) }
    }

    /// Removes a file, symlink or directory tree without following symlinks. Refuses (throws)
    /// to descend into a directory on another device than `path` (a mount still in place), so
    /// it can never delete the contents of a bind-mounted host directory.
    static func removeTree(_ path: String) throws(VolumeError) {
        guard let dev = device(path) else { return }
        try removeTree(path, device: dev)
    }

    private static func removeTree(_ path: String, device dev: dev_t) throws(VolumeError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard st.st_dev == dev else { throw VolumeError(.io, "refusing to remove \(path): it is a mount point") }
            for name in try list(path) { try removeTree(path + "/" + name, device: dev) }
            guard rmdir(path) == 0 || errno == ENOENT else { throw errnoError("rmdir", path) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw errnoError("unlink", path) }
        }
    }
}
