import Foundation
import Testing
@testable import SkiffNodeAgent

/// Builds ustar archives in memory.
struct TarBuilder {
    var bytes: [UInt8] = []

    mutating func add(_ path: String, type: Character = "0", mode: Int = 0o644, data: [UInt8] = [], link: String = "",
                      uid: Int = 0, gid: Int = 0) {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ offset: Int, _ length: Int) {
            for (i, b) in s.utf8.prefix(length).enumerated() { h[offset + i] = b }
        }
        func octal(_ v: Int, _ offset: Int, _ length: Int) {
            put(String(String(v, radix: 8).leftPad(length - 1)), offset, length - 1)
        }
        put(path, 0, 100)
        octal(mode, 100, 8); octal(uid, 108, 8); octal(gid, 116, 8)
        octal(type == "0" ? data.count : 0, 124, 12); octal(1_700_000_000, 136, 12)
        h[156] = type.asciiValue!
        put(link, 157, 100)
        put("ustar", 257, 6); put("00", 263, 2)
        for i in 148..<156 { h[i] = 32 }
        octal(h.reduce(0) { $0 + Int($1) }, 148, 7)
        bytes += h
        if type == "0" {
            bytes += data
            bytes += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
    }

    func finished() -> [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }
}

func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let dir = NSTemporaryDirectory() + "skiff-images-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try await body(dir)
}

@Suite struct ImagesTarTests {
    func lower(_ dir: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/etc/conf.d", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/var/cache", withIntermediateDirectories: true)
        fm.createFile(atPath: dir + "/etc/passwd", contents: Data("root".utf8))
        fm.createFile(atPath: dir + "/etc/conf.d/a", contents: Data("a".utf8))
        fm.createFile(atPath: dir + "/var/cache/old", contents: Data("old".utf8))
    }

    func upperLayer() -> [UInt8] {
        var t = TarBuilder()
        t.add("etc/", type: "5", mode: 0o755)
        t.add("etc/.wh.passwd")
        t.add("var/cache/", type: "5", mode: 0o755)
        t.add("var/cache/new", data: Array("new".utf8))
        t.add("var/cache/.wh..wh..opq")
        t.add("bin/", type: "5", mode: 0o755)
        t.add("bin/tool", mode: 0o4755, data: Array("#!".utf8), uid: 12, gid: 34)
        t.add("bin/link", type: "2", link: "tool")
        t.add("bin/hard", type: "1", link: "bin/tool")
        t.add("../../escape", data: Array("x".utf8))
        return t.finished()
    }

    @Test func applyModeDeletesWhatWhiteoutsName() async throws {
        try await withTemporaryDirectory { dir in
            try lower(dir)
            try LayerUnpacker(root: dir, mode: .apply).unpack(BytesSource(upperLayer()))
            let fm = FileManager.default
            #expect(!fm.fileExists(atPath: dir + "/etc/passwd"))
            #expect(!fm.fileExists(atPath: dir + "/etc/.wh.passwd"))
            #expect(fm.fileExists(atPath: dir + "/etc/conf.d/a"))
            #expect(!fm.fileExists(atPath: dir + "/var/cache/old"))
            #expect(try String(contentsOfFile: dir + "/var/cache/new", encoding: .utf8) == "new")
            #expect(try fm.destinationOfSymbolicLink(atPath: dir + "/bin/link") == "tool")
            let tool = try fm.attributesOfItem(atPath: dir + "/bin/tool")
            let hard = try fm.attributesOfItem(atPath: dir + "/bin/hard")
            #expect(tool[.systemFileNumber] as? Int == hard[.systemFileNumber] as? Int)
            #expect((tool[.posixPermissions] as? Int).map { $0 & 0o7777 } == 0o4755)
            if geteuid() == 0 {
                #expect(tool[.ownerAccountID] as? Int == 12)
                #expect(tool[.groupOwnerAccountID] as? Int == 34)
            }
            #expect(fm.fileExists(atPath: dir + "/escape"))
        }
    }

    @Test(.enabled(if: geteuid() == 0, "overlay whiteouts are device nodes and trusted xattrs: needs root"))
    func overlayModeWritesOverlayWhiteouts() async throws {
        try await withTemporaryDirectory { dir in
            try LayerUnpacker(root: dir, mode: .overlay).unpack(BytesSource(upperLayer()))
            var st = stat()
            #expect(lstat(dir + "/etc/passwd", &st) == 0)
            #expect((st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0)
            var value = [UInt8](repeating: 0, count: 4)
            let n = lgetxattr(dir + "/var/cache", "trusted.overlay.opaque", &value, value.count)
            #expect(n == 1 && value[0] == UInt8(ascii: "y"))
            #expect(FileManager.default.fileExists(atPath: dir + "/var/cache/new"))
        }
    }

    @Test func symlinkedParentStaysInsideRoot() async throws {
        try await withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/root", withIntermediateDirectories: true)
            var t = TarBuilder()
            t.add("evil", type: "2", link: "/")
            t.add("up", type: "2", link: "../../..")
            t.add("evil/owned", data: Array("1".utf8))
            t.add("up/owned2", data: Array("2".utf8))
            try LayerUnpacker(root: dir + "/root", mode: .apply).unpack(BytesSource(t.finished()))
            #expect(FileManager.default.fileExists(atPath: dir + "/root/owned"))
            #expect(FileManager.default.fileExists(atPath: dir + "/root/owned2"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/owned2"))
        }
    }

    @Test func truncatedTarIsRejected() async throws {
        var t = TarBuilder()
        t.add("file", data: [UInt8](repeating: 7, count: 2000))
        let cut = Array(t.bytes.prefix(1024))
        try await withTemporaryDirectory { dir in
            #expect(throws: ImageError.self) { try LayerUnpacker(root: dir, mode: .apply).unpack(BytesSource(cut)) }
        }
    }

    @Test func digestMismatchIsRejected() async throws {
        try await withTemporaryDirectory { dir in
            let store = try ContentStore(root: dir)
            let wrong = "sha256:" + String(repeating: "0", count: 64)
            let e = #expect(throws: ImageError.self) { try store.write(Array("hello".utf8), expected: wrong) }
            #expect(e?.code == .digestMismatch)
            let descriptor = Descriptor(mediaType: "x", digest: wrong, size: 5)
            let (stream, c) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
            c.yield(Array("hello".utf8)); c.finish()
            await #expect(throws: ImageError.self) { try await store.ingest(descriptor, chunks: stream) }
            #expect(!store.has(wrong))
            #expect(try store.list().isEmpty)
        }
    }
}
