import Foundation
import Glibc
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// Updates on refresh, hostPath and claims, tmpfs, tear-down.
@Suite(.serialized) struct VolumeLifecycleTests {
    @Test func refreshSwapsDataAtomicallyAndRemovesTheOldDirectory() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setConfigMap("app", data: ["keep": "1", "drop": "x"])
        let pod = f.pod(volumes: [["name": "cfg", "configMap": ["name": "app"]]])
        let dir = try #require(try await f.manager.setUp(pod: pod)["cfg"])
        let first = try #require(f.link(dir + "/..data"))

        try await f.manager.refresh(pod: pod)    // nothing changed: nothing rewritten
        #expect(f.link(dir + "/..data") == first)

        f.source.setConfigMap("app", data: ["keep": "2", "new": "n"])
        try await f.manager.refresh(pod: pod)
        let second = try #require(f.link(dir + "/..data"))
        #expect(second != first)
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + first))
        #expect(f.read(dir + "/keep") == "2")
        #expect(f.read(dir + "/new") == "n")
        #expect(f.link(dir + "/drop") == nil && !FileManager.default.fileExists(atPath: dir + "/drop"))
        #expect(f.entries(dir) == ["..data", second, "keep", "new"].sorted())

        f.source.removeConfigMap("app")         // a required object gone: old content stays
        let e = await #expect(throws: VolumeError.self) { try await f.manager.refresh(pod: pod) }
        #expect(e?.volume == "cfg")
        #expect(f.read(dir + "/keep") == "2")
    }

    @Test func atomicWriterRecoversFromAStaleTemporaryLink() throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let dir = f.dir + "/aw"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/..data_tmp", withDestinationPath: "..gone")
        let w = AtomicWriter(dir: dir)
        #expect(try w.write(["a": FileProjection(data: Array("1".utf8), mode: 0o644)]))
        #expect(try !w.write(["a": FileProjection(data: Array("1".utf8), mode: 0o644)]))
        #expect(try w.write(["a": FileProjection(data: Array("1".utf8), mode: 0o600)]))   // a mode change is a change
        #expect(f.mode(dir + "/a") == 0o600)
        #expect(!FileManager.default.fileExists(atPath: dir + "/..data_tmp"))
    }

    @Test func hostPathTypesAreChecked() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let host = f.dir + "/host"
        try FileManager.default.createDirectory(atPath: host + "/dir", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: host + "/file", contents: Data("x".utf8))
        func setUp(_ path: String, _ type: String?) async throws -> String? {
            var hp: JSON = ["path": .string(path)]
            if let type { hp["type"] = .string(type) }
            return try await f.manager.setUp(pod: f.pod(volumes: [["name": "h", "hostPath": hp]]))["h"]
        }
        func failure(_ path: String, _ type: String) async -> String? {
            await #expect(throws: VolumeError.self) { _ = try await setUp(path, type) }?.description
        }
        #expect(try await setUp(host + "/dir", "Directory") == host + "/dir")
        #expect(try await setUp(host + "/file", "File") == host + "/file")
        #expect(try await setUp(host + "/anything-at-all", nil) == host + "/anything-at-all")
        #expect(try await setUp(host + "/anything-at-all", "") == host + "/anything-at-all")
        _ = try await setUp(host + "/made/deep", "DirectoryOrCreate")
        #expect(VolumeFS.kind(host + "/made/deep") == .directory)
        _ = try await setUp(host + "/new/parent/file.txt", "FileOrCreate")
        #expect(FileManager.default.fileExists(atPath: host + "/new/parent/file.txt"))
        #expect(await failure(host + "/file", "Directory") == "MountVolume.SetUp failed for volume \"h\" : hostPath type check failed: \(host)/file is not a directory")
        #expect(await failure(host + "/missing", "Directory") == "MountVolume.SetUp failed for volume \"h\" : hostPath type check failed: \(host)/missing is not a directory")
        #expect(await failure(host + "/dir", "FileOrCreate") == "MountVolume.SetUp failed for volume \"h\" : hostPath type check failed: \(host)/dir is not a file")
        #expect(await failure(host + "/dir", "Socket")?.hasSuffix("\(host)/dir is not a socket file") == true)
        #expect(await failure(host + "/file", "CharDevice")?.hasSuffix("\(host)/file is not a character device") == true)
        #expect(await failure("/dev/null", "BlockDevice")?.hasSuffix("/dev/null is not a block device") == true)
        #expect(try await setUp("/dev/null", "CharDevice") == "/dev/null")
        #expect(await failure(host + "/dir", "Dir") == "MountVolume.SetUp failed for volume \"h\" : Dir is an invalid volume type")

        let sock = host + "/s.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in for (i, b) in sock.utf8.enumerated() where i < buf.count - 1 { buf[i] = b } }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        if bound == 0 { #expect(try await setUp(sock, "Socket") == sock) }
    }

    @Test func claimsResolveToTheirBoundVolume() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let data = f.dir + "/pv-data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        f.source.state.withLock {
            $0.claims["ns/data"] = ["metadata": ["name": "data", "uid": "c-1"], "spec": ["volumeName": "pv-1"], "status": ["phase": "Bound"]]
            $0.claims["ns/pending"] = ["metadata": ["name": "pending"], "spec": [:], "status": ["phase": "Pending"]]
            $0.claims["ns/local"] = ["metadata": ["name": "local"], "spec": ["volumeName": "pv-2"], "status": ["phase": "Bound"]]
            $0.volumes["pv-1"] = ["spec": ["hostPath": ["path": .string(data), "type": "Directory"], "claimRef": ["uid": "c-1"]]]
            $0.volumes["pv-2"] = ["spec": ["local": ["path": .string(data)]]]
        }
        func claim(_ name: String, readOnly: Bool = false) -> JSON { ["name": "v", "persistentVolumeClaim": ["claimName": .string(name), "readOnly": .bool(readOnly)]] }
        #expect(try await f.manager.setUp(pod: f.pod(volumes: [claim("data")]))["v"] == data)
        #expect(try await f.manager.setUp(pod: f.pod(volumes: [claim("local")]))["v"] == data)
        let unbound = await #expect(throws: VolumeError.self) { _ = try await f.manager.setUp(pod: f.pod(volumes: [claim("pending")])) }
        #expect(unbound?.code == .unbound)
        #expect(unbound?.message == "unbound PVC: PVC ns/pending has non-bound phase (\"Pending\") or empty pvc.Spec.VolumeName (\"\")")
        let missing = await #expect(throws: VolumeError.self) { _ = try await f.manager.setUp(pod: f.pod(volumes: [claim("nope")])) }
        #expect(missing?.message == "persistentvolumeclaim \"nope\" not found")

        let pod = f.pod(volumes: [claim("data", readOnly: true)], container: ["name": "app", "volumeMounts": [["name": "v", "mountPath": "/data"]]])
        let mounts = try f.manager.mounts(pod: pod, container: pod["spec", "containers"]!.array![0], volumes: ["v": data], env: [:])
        #expect(mounts == [MountSpec(destination: "/data", source: data, type: "bind", options: ["rbind", "ro"])])
    }

    @Test func memoryEmptyDirIsASizedTmpfs() async throws {
        guard geteuid() == 0 else { return }   // mount(2) needs root
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let pod = f.pod(volumes: [["name": "cache", "emptyDir": ["medium": "Memory", "sizeLimit": "16Mi"]]],
                        container: ["name": "app", "resources": ["limits": ["memory": "64Mi"]]])
        let dir = try #require(try await f.manager.setUp(pod: pod)["cache"])
        #expect(MountTable.isMountPoint(dir))
        var vfs = statvfs()
        #expect(statvfs(dir, &vfs) == 0)
        #expect(Int64(vfs.f_blocks) * Int64(vfs.f_frsize) == 16 << 20)
        _ = try await f.manager.setUp(pod: pod)   // idempotent: not mounted twice
        #expect(MountTable.mountPoints(under: try #require(VolumeFS.realPath(dir))).count == 1)
        #expect(try f.manager.memorySize(["medium": "Memory"], pod: pod) == 64 << 20)   // the Pod's limit
        #expect(try f.manager.memorySize(["medium": "Memory", "sizeLimit": "1Gi"], pod: pod) == 64 << 20)
        #expect(try f.manager.memorySize(["medium": "Memory"], pod: f.pod(volumes: [])) == 8 << 30)   // the node's

        try f.manager.tearDown(podUID: f.uid)
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(MountTable.mountPoints(under: VolumeFS.realPath(f.dir) ?? f.dir).isEmpty)
    }

    @Test func tearDownRemovesEverythingAndIsIdempotent() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setSecret("creds", plain: ["k": "v"])
        let host = f.dir + "/host-data"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: host + "/precious", contents: Data("keep".utf8))
        _ = try await f.manager.setUp(pod: f.pod(volumes: [
            ["name": "s", "secret": ["secretName": "creds"]], ["name": "e", "emptyDir": [:]],
            ["name": "h", "hostPath": ["path": .string(host)]]]))
        try f.manager.tearDown(podUID: f.uid)
        #expect(!FileManager.default.fileExists(atPath: f.manager.volumesDirectory(podUID: f.uid)))
        #expect(f.read(host + "/precious") == "keep")
        try f.manager.tearDown(podUID: f.uid)
        try f.manager.tearDown(podUID: "never-set-up")
        #expect(throws: VolumeError.self) { try f.manager.tearDown(podUID: "../escape") }
    }

    @Test func unsupportedVolumesAreNamed() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let e = await #expect(throws: VolumeError.self) {
            _ = try await f.manager.setUp(pod: f.pod(volumes: [["name": "n", "nfs": ["server": "x", "path": "/"]]]))
        }
        #expect(e?.description == "MountVolume.SetUp failed for volume \"n\" : no volume plugin matched (nfs volumes are not supported)")
    }
}
