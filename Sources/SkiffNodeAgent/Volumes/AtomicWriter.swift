import Foundation
import Glibc

/// One file of a projected volume: its bytes, mode and (optionally) owner.
struct FileProjection: Sendable, Equatable {
    var data: [UInt8]
    var mode: mode_t
    var uid: uid_t? = nil
}

/// Writes a set of files into a directory so that readers see either the old set or the new
/// one, never a mix (the kubelet's AtomicWriter):
///
///     <dir>/..2024_05_01_10_00_00.1234567/<files>   the current set, in a timestamped directory
///     <dir>/..data -> ..2024_05_01_10_00_00.1234567 swapped with one rename(2)
///     <dir>/<top-level name> -> ..data/<top-level name>   what containers see
///
/// An update writes a new timestamped directory, points `..data` at it atomically, adds links
/// for new names, drops links for names no longer in the payload and removes the old directory.
/// Writing an unchanged payload changes nothing. Not safe for concurrent writers to one `dir`.
struct AtomicWriter {
    let dir: String

    static let dataDir = "..data"
    static let dataDirTmp = "..data_tmp"
    static let maxFileNameLength = 255
    static let maxPathLength = 4096

    /// Writes `payload` (relative path -> file). `setPermissions` runs on the new timestamped
    /// directory before it becomes visible. Returns whether anything changed.
    @discardableResult
    func write(_ payload: [String: FileProjection], setPermissions: ((String) throws(VolumeError) -> Void)? = nil) throws(VolumeError) -> Bool {
        var clean: [String: FileProjection] = [:]
        for (path, file) in payload {
            try Self.validate(path)
            clean[Self.clean(path)] = file
        }

        let dataPath = dir + "/" + Self.dataDir
        let oldTimestamped = VolumeFS.readLink(dataPath)
        let oldPath = oldTimestamped.map { dir + "/" + $0 }
        var toRemove = Set<String>()
        if let oldPath {
            toRemove = try pathsToRemove(clean, oldDir: oldPath)
            if !Self.changed(clean, in: oldPath) && toRemove.isEmpty && userVisiblePathsExist(clean) { return false }
        }

        let newName = try makeTimestampedDir()
        let newPath = dir + "/" + newName
        do {
            try Self.writeFiles(clean, into: newPath)
            try setPermissions?(newPath)
            let tmpLink = dir + "/" + Self.dataDirTmp
            if VolumeFS.exists(tmpLink) { unlink(tmpLink) }
            try VolumeFS.symlink(newName, at: tmpLink)
            try VolumeFS.rename(tmpLink, dataPath)
        } catch {
            try? VolumeFS.removeTree(newPath)
            throw error
        }

        for top in Set(clean.keys.map { String($0.split(separator: "/")[0]) }) {
            let visible = dir + "/" + top
            if !VolumeFS.exists(visible) { try VolumeFS.symlink(Self.dataDir + "/" + top, at: visible) }
        }
        for path in toRemove where !path.contains("/") {
            guard unlink(dir + "/" + path) == 0 || errno == ENOENT else { throw VolumeFS.errnoError("unlink", dir + "/" + path) }
        }
        if let oldTimestamped, oldTimestamped != newName { try VolumeFS.removeTree(dir + "/" + oldTimestamped) }
        return true
    }

    /// The kubelet's rules for a payload path.
    static func validate(_ path: String) throws(VolumeError) {
        if path.isEmpty { throw VolumeError(.invalidVolume, "invalid path: must not be empty: \"\"") }
        if path.hasPrefix("/") { throw VolumeError(.invalidVolume, "invalid path: must be relative path: \(path)") }
        if path.utf8.count > maxPathLength {
            throw VolumeError(.invalidVolume, "invalid path: must be less than or equal to \(maxPathLength) characters")
        }
        let items = path.split(separator: "/", omittingEmptySubsequences: false)
        for item in items {
            if item == ".." { throw VolumeError(.invalidVolume, "invalid path: must not contain '..': \(path)") }
            if item.utf8.count > maxFileNameLength {
                throw VolumeError(.invalidVolume, "invalid path: filenames must be less than or equal to \(maxFileNameLength) characters")
            }
        }
        if items[0].hasPrefix("..") && items[0].count > 2 {
            throw VolumeError(.invalidVolume, "invalid path: must not start with '..': \(path)")
        }
    }

    /// `path.Clean` for a relative path without `..`.
    static func clean(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    /// Whether any file of `payload` differs (content or mode) from what `oldDir` holds.
    static func changed(_ payload: [String: FileProjection], in oldDir: String) -> Bool {
        for (path, file) in payload {
            let p = oldDir + "/" + path
            guard VolumeFS.kind(p) == .file, let bytes = VolumeFS.read(p), bytes == file.data else { return true }
            if let m = VolumeFS.mode(p), m & 0o777 != file.mode & 0o777 { return true }
        }
        return false
    }

    func userVisiblePathsExist(_ payload: [String: FileProjection]) -> Bool {
        payload.keys.allSatisfy { VolumeFS.exists(dir + "/" + String($0.split(separator: "/")[0])) }
    }

    /// Relative paths under `oldDir` that neither are in `payload` nor lead to one of its files.
    func pathsToRemove(_ payload: [String: FileProjection], oldDir: String) throws(VolumeError) -> Set<String> {
        var old = Set<String>()
        func walk(_ rel: String) throws(VolumeError) {
            let abs = rel.isEmpty ? oldDir : oldDir + "/" + rel
            for name in try VolumeFS.list(abs) {
                let child = rel.isEmpty ? name : rel + "/" + name
                old.insert(child)
                if VolumeFS.kind(oldDir + "/" + child) == .directory { try walk(child) }
            }
        }
        try walk("")
        var keep = Set<String>()
        for path in payload.keys {
            var parts = path.split(separator: "/")
            while !parts.isEmpty { keep.insert(parts.joined(separator: "/")); parts.removeLast() }
        }
        return old.subtracting(keep)
    }

    /// `..YYYY_MM_DD_HH_MM_SS.<random>`, mode 0755.
    func makeTimestampedDir() throws(VolumeError) -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        let stamp = String(format: "..%04d_%02d_%02d_%02d_%02d_%02d.", parts.tm_year + 1900, parts.tm_mon + 1,
                           parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
        for _ in 0..<100 {
            let name = stamp + String(UInt32.random(in: 0...UInt32.max))
            if mkdir(dir + "/" + name, 0o755) == 0 {
                try VolumeFS.chmod(dir + "/" + name, 0o755)
                return name
            }
            if errno != EEXIST { throw VolumeFS.errnoError("mkdir", dir + "/" + name) }
        }
        throw VolumeError(.io, "cannot create a timestamped directory in \(dir)")
    }

    static func writeFiles(_ payload: [String: FileProjection], into base: String) throws(VolumeError) {
        for path in payload.keys.sorted() {
            let file = payload[path]!
            let full = base + "/" + path
            if let slash = full.lastIndex(of: "/") { try VolumeFS.makeDirectories(String(full[..<slash]), mode: 0o755) }
            try VolumeFS.createFile(full, file.data, mode: file.mode, uid: file.uid)
        }
    }
}
