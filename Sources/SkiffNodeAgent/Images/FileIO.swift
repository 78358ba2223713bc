#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX file helpers for the image store (Foundation's are slow for large layers and
/// do not expose ownership, device nodes or xattrs).
enum FileIO {
    static func errnoError(_ what: String, _ path: String) -> ImageError {
        ImageError(.io, "\(what) \(path): \(String(cString: strerror(errno)))")
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func mkdirs(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST { throw errnoError("mkdir", current) }
        }
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw ImageError(.notFound, "no such file \(path)") }
            throw errnoError("open", path)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw errnoError("read", path) }
            if n == 0 { return out }
            out += buf[0..<n]
        }
    }

    /// Writes `bytes` to a temporary file next to `path`, then renames it over `path`.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let w = try FileWriter(path: tmp, mode: mode)
        do { try w.write(bytes); try w.close() } catch { unlink(tmp); throw error }
        guard rename(tmp, path) == 0 else { unlink(tmp); throw errnoError("rename", path) }
    }

    /// Removes a file or a directory tree; a missing path is not an error. Unmounts nothing.
    static func removeTree(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 || errno == ENOENT else { throw errnoError("rmdir", path) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw errnoError("unlink", path) }
        }
    }

    static func list(_ path: String) throws -> [String] {
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
}

/// A file opened for writing, closed exactly once.
final class FileWriter {
    let fd: Int32
    let path: String
    private var closed = false

    init(path: String, mode: mode_t = 0o644, exclusive: Bool = false) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (exclusive ? O_EXCL : 0), mode)
        guard fd >= 0 else { throw FileIO.errnoError("create", path) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 { if errno == EINTR { continue }; throw FileIO.errnoError("write", path) }
            offset += n
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func close() throws {
        guard !closed else { return }
        closed = true
        guard Glibc.close(fd) == 0 else { throw FileIO.errnoError("close", path) }
    }

    deinit { if !closed { _ = Glibc.close(fd) } }
}

/// A file opened for reading in chunks.
final class FileReader {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw ImageError(.notFound, "no such file \(path)") }
            throw FileIO.errnoError("open", path)
        }
    }

    /// Up to `max` bytes; empty at the end of the file.
    func read(max: Int = 1 << 16) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: max)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, max) }
            if n < 0 { if errno == EINTR { continue }; throw FileIO.errnoError("read", path) }
            buf.removeLast(max - n)
            return buf
        }
    }

    deinit { _ = Glibc.close(fd) }
}
