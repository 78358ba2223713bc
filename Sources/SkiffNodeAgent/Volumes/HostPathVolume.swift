import Glibc
import SkiffModel

/// hostPath: a path on the node, checked (or created) according to `type` as the kubelet does.
enum HostPathVolume {
    static func setUp(_ spec: JSON) throws(VolumeError) -> String {
        let path = spec["path"]?.string ?? ""
        guard !path.isEmpty else { throw VolumeError(.invalidVolume, "hostPath path must not be empty") }
        try check(path, type: spec["type"]?.string ?? "")
        return path
    }

    /// kubelet's `checkTypeInternal`. Symlinks are followed, as `os.Stat` does.
    static func check(_ path: String, type: String) throws(VolumeError) {
        func fail(_ what: String) -> VolumeError {
            VolumeError(.invalidVolume, "hostPath type check failed: \(path) is not a \(what)")
        }
        let kind = VolumeFS.kind(path, follow: true)
        switch type {
        case "":
            return
        case "DirectoryOrCreate":
            if kind == .missing { return try makeDirectory(path) }
            if kind != .directory { throw fail("directory") }
        case "Directory":
            if kind != .directory { throw fail("directory") }
        case "FileOrCreate":
            if kind == .missing { return try makeFile(path) }
            if kind != .file { throw fail("file") }
        case "File":
            if kind != .file { throw fail("file") }
        case "Socket":
            if kind != .socket { throw fail("socket file") }
        case "CharDevice":
            if kind != .charDevice { throw fail("character device") }
        case "BlockDevice":
            if kind != .blockDevice { throw fail("block device") }
        default:
            throw VolumeError(.invalidVolume, "\(type) is an invalid volume type")
        }
    }

    /// `os.MkdirAll(path, 0755)`.
    static func makeDirectory(_ path: String) throws(VolumeError) {
        try VolumeFS.makeDirectories(path, mode: 0o755)
    }

    /// The parent directories (0755), then an empty 0644 file.
    static func makeFile(_ path: String) throws(VolumeError) {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try VolumeFS.makeDirectories(String(path[..<slash]), mode: 0o755)
        }
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw VolumeFS.errnoError("create", path) }
        close(fd)
    }
}
