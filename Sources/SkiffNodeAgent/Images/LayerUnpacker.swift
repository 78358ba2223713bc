#if canImport(Glibc)
import Glibc
#endif

/// Applies a layer tar to a directory: files, directories, hard links, symlinks, devices and
/// FIFOs with their modes, owners and times, and the layer's whiteouts.
///
/// Whiteouts (`.wh.<name>` hides `<name>` of lower layers; `.wh..wh..opq` hides a directory's
/// lower contents) are handled two ways:
/// - `.overlay`: the directory is one layer of an overlayfs stack, so a whiteout becomes a 0/0
///   character device and an opaque marker becomes the `trusted.overlay.opaque=y` xattr.
/// - `.apply`: the directory holds the merged lower layers (a copied rootfs), so whiteouts
///   delete what they name.
///
/// Every path stays inside the directory: `..` is clamped at the root and symlinks met on the
/// way to an entry are resolved as if the directory were `/`.
struct LayerUnpacker {
    enum Mode { case overlay, apply }

    let root: String
    let mode: Mode

    /// Unpacks the tar read from `source`.
    func unpack(_ source: any ByteSource) throws {
        let tar = TarReader(source)
        var created = Set<String>()
        var directoryTimes: [(String, Int64)] = []
        while let entry = try tar.next() {
            var parts = Self.clean(entry.path)
            guard let name = parts.popLast() else { continue }
            let parent = try resolveParent(parts)
            if name == ".wh..wh..opq" {
                try FileIO.mkdirs(parent)
                try opaque(parent, keeping: created)
                continue
            }
            if name.hasPrefix(".wh.") {
                let hidden = String(name.dropFirst(4))
                guard !hidden.isEmpty else { continue }
                try FileIO.mkdirs(parent)
                try whiteout(parent + "/" + hidden)
                continue
            }
            try FileIO.mkdirs(parent)
            let path = parent + "/" + name
            created.insert(path)
            try write(entry, at: path, tar: tar)
            if entry.kind == .directory { directoryTimes.append((path, entry.mtime)) }
        }
        for (path, mtime) in directoryTimes.reversed() { setTime(path, mtime) }
    }

    private func write(_ entry: TarEntry, at path: String, tar: TarReader) throws {
        var st = stat()
        let existing = lstat(path, &st) == 0
        let existingIsDir = existing && (st.st_mode & S_IFMT) == S_IFDIR
        if existing && !(existingIsDir && entry.kind == .directory) { try FileIO.removeTree(path) }
        switch entry.kind {
        case .directory:
            if !existingIsDir && mkdir(path, 0o700) != 0 { throw FileIO.errnoError("mkdir", path) }
        case .file:
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw FileIO.errnoError("create", path) }
            defer { close(fd) }
            try tar.readData { buf in
                var offset = 0
                while offset < buf.count {
                    let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
                    if n < 0 { if errno == EINTR { continue }; throw FileIO.errnoError("write", path) }
                    offset += n
                }
            }
        case .symlink:
            guard symlink(entry.linkName, path) == 0 else { throw FileIO.errnoError("symlink", path) }
        case .hardLink:
            var parts = Self.clean(entry.linkName)
            guard let last = parts.popLast() else { throw ImageError(.invalidContent, "hard link \(entry.path) has no target") }
            let target = try resolveParent(parts) + "/" + last
            guard link(target, path) == 0 else { throw FileIO.errnoError("link to \(entry.linkName) as", path) }
            return  // A hard link shares the target's inode: owner, mode and times are the target's.
        case .charDevice, .blockDevice:
            let type = entry.kind == .charDevice ? S_IFCHR : S_IFBLK
            guard mknod(path, type | 0o600, makedev(entry.devMajor, entry.devMinor)) == 0 else { throw FileIO.errnoError("mknod", path) }
        case .fifo:
            guard mkfifo(path, 0o600) == 0 else { throw FileIO.errnoError("mkfifo", path) }
        case .other(let t):
            throw ImageError(.unsupported, "tar entry \(entry.path) has unsupported type \(Character(Unicode.Scalar(t)))")
        }
        if lchown(path, uid_t(entry.uid), gid_t(entry.gid)) != 0 && geteuid() == 0 { throw FileIO.errnoError("chown", path) }
        if entry.kind != .symlink && chmod(path, mode_t(entry.mode & 0o7777)) != 0 { throw FileIO.errnoError("chmod", path) }
        for (name, value) in entry.xattrs {
            _ = value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
        }
        if entry.kind != .directory { setTime(path, entry.mtime) }
    }

    private func whiteout(_ path: String) throws {
        switch mode {
        case .apply:
            try FileIO.removeTree(path)
        case .overlay:
            try FileIO.removeTree(path)
            guard mknod(path, S_IFCHR | 0o000, makedev(0, 0)) == 0 else { throw FileIO.errnoError("mknod whiteout", path) }
        }
    }

    private func opaque(_ dir: String, keeping created: Set<String>) throws {
        switch mode {
        case .apply:
            for name in try FileIO.list(dir) where !created.contains(dir + "/" + name) {
                try FileIO.removeTree(dir + "/" + name)
            }
        case .overlay:
            let value: [UInt8] = [UInt8(ascii: "y")]
            let rc = value.withUnsafeBytes { lsetxattr(dir, "trusted.overlay.opaque", $0.baseAddress, $0.count, 0) }
            guard rc == 0 else { throw FileIO.errnoError("set opaque xattr on", dir) }
        }
    }

    private func setTime(_ path: String, _ mtime: Int64) {
        var times = [timespec(tv_sec: Int(mtime), tv_nsec: 0), timespec(tv_sec: Int(mtime), tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// The path's components with `.` dropped and `..` applied, never above the root.
    static func clean(_ path: String) -> [String] {
        var out: [String] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = out.popLast(); continue }
            out.append(String(part))
        }
        return out
    }

    /// The real directory for `parts` under the root, following symlinks inside the root only.
    func resolveParent(_ parts: [String]) throws -> String {
        var resolved: [String] = []
        var pending = parts[...]
        var hops = 0
        while let part = pending.popFirst() {
            if part == "." { continue }
            if part == ".." { _ = resolved.popLast(); continue }
            let candidate = root + "/" + (resolved + [part]).joined(separator: "/")
            var st = stat()
            if lstat(candidate, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK {
                hops += 1
                guard hops <= 255 else { throw ImageError(.invalidContent, "too many symlinks resolving \(parts.joined(separator: "/"))") }
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(candidate, &buf, buf.count - 1)
                guard n >= 0 else { throw FileIO.errnoError("readlink", candidate) }
                let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if target.hasPrefix("/") { resolved = [] }
                pending = ArraySlice(target.split(separator: "/").map(String.init) + Array(pending))
                continue
            }
            resolved.append(part)
        }
        return resolved.isEmpty ? root : root + "/" + resolved.joined(separator: "/")
    }
}

/// glibc's `gnu_dev_makedev` (a macro Swift does not import).
func makedev(_ major: UInt32, _ minor: UInt32) -> dev_t {
    let ma = UInt64(major), mi = UInt64(minor)
    return dev_t((ma & 0xfff) << 8 | (mi & 0xff) | (mi & ~0xff) << 12 | (ma & ~0xfff) << 32)
}

/// `<sys/xattr.h>`, which the Glibc module does not export.
@_silgen_name("lsetxattr")
func lsetxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeRawPointer?, _ size: Int, _ flags: Int32) -> Int32

@_silgen_name("lgetxattr")
func lgetxattr(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeMutableRawPointer?, _ size: Int) -> Int
