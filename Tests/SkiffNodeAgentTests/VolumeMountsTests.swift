import Foundation
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// volumeMounts to OCI mounts: subPath, subPathExpr, readOnly, ordering.
@Suite(.serialized) struct VolumeMountsTests {
    func container(_ mounts: [JSON]) -> JSON { ["name": "app", "volumeMounts": .array(mounts)] }

    @Test func mountsBindVolumesWithReadOnlyAndOrdering() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setConfigMap("app", data: ["app.yaml": "x: 1"])
        let c = container([
            ["name": "scratch", "mountPath": "/data/cache"],
            ["name": "scratch", "mountPath": "/data", "readOnly": true],
            ["name": "cfg", "mountPath": "/etc/app"],
        ])
        let pod = f.pod(volumes: [["name": "scratch", "emptyDir": [:]], ["name": "cfg", "configMap": ["name": "app"]]], container: c)
        let volumes = try await f.manager.setUp(pod: pod)
        let mounts = try f.manager.mounts(pod: pod, container: c, volumes: volumes, env: [:])
        // Shallow destinations first (stable), so /data never hides /data/cache.
        #expect(mounts == [
            MountSpec(destination: "/data", source: volumes["scratch"]!, type: "bind", options: ["rbind", "ro"]),
            MountSpec(destination: "/data/cache", source: volumes["scratch"]!, type: "bind", options: ["rbind", "rw"]),
            MountSpec(destination: "/etc/app", source: volumes["cfg"]!, type: "bind", options: ["rbind", "ro"]),  // configMaps are always read-only
        ])
        let unknown = #expect(throws: VolumeError.self) {
            _ = try f.manager.mounts(pod: pod, container: container([["name": "ghost", "mountPath": "/g"]]), volumes: volumes, env: [:])
        }
        #expect(unknown?.message == "cannot find volume \"ghost\" to mount into container \"app\"")
    }

    @Test func subPathSelectsAFileOrCreatesADirectory() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setConfigMap("app", data: ["app.yaml": "x: 1"])
        let pod = f.pod(volumes: [["name": "scratch", "emptyDir": [:]], ["name": "cfg", "configMap": ["name": "app"]]])
        let volumes = try await f.manager.setUp(pod: pod)
        let c = container([
            ["name": "cfg", "mountPath": "/etc/app.yaml", "subPath": "app.yaml"],
            ["name": "scratch", "mountPath": "/var/log/app", "subPath": "logs/app"],
        ])
        let mounts = try f.manager.mounts(pod: pod, container: c, volumes: volumes, env: [:])
        // The configMap key resolves through ..data to the file in the current timestamped directory.
        let ts = try #require(f.link(volumes["cfg"]! + "/..data"))
        let realCfg = try #require(VolumeFS.realPath(volumes["cfg"]!))
        #expect(mounts[0].source == realCfg + "/" + ts + "/app.yaml")
        #expect(mounts[0].options == ["rbind", "ro"])
        let realScratch = try #require(VolumeFS.realPath(volumes["scratch"]!))
        #expect(mounts[1].source == realScratch + "/logs/app")
        #expect(VolumeFS.kind(realScratch + "/logs/app") == .directory)
        #expect(f.mode(realScratch + "/logs/app") == 0o777)   // the volume's own mode
    }

    @Test func subPathMayNotLeaveTheVolume() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let pod = f.pod(volumes: [["name": "scratch", "emptyDir": [:]]])
        let volumes = try await f.manager.setUp(pod: pod)
        try FileManager.default.createSymbolicLink(atPath: volumes["scratch"]! + "/out", withDestinationPath: "/etc")
        func failure(_ subPath: String) -> VolumeError? {
            #expect(throws: VolumeError.self) {
                _ = try f.manager.mounts(pod: pod, container: container([["name": "scratch", "mountPath": "/x", "subPath": .string(subPath)]]), volumes: volumes, env: [:])
            }
        }
        #expect(failure("/etc")?.message == "error SubPath `/etc` must not be an absolute path")
        #expect(failure("a/../../b")?.message == "unable to provision SubPath `a/../../b`: must not contain '..'")
        let escaped = failure("out/passwd")
        #expect(escaped?.message == "failed to prepare subPath for volumeMount \"scratch\" of container \"app\"")
        #expect(escaped?.volume == nil)
    }

    @Test func subPathExprExpandsTheContainerEnvironment() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let pod = f.pod(volumes: [["name": "logs", "emptyDir": [:]]])
        let volumes = try await f.manager.setUp(pod: pod)
        let c = container([["name": "logs", "mountPath": "/logs", "subPathExpr": "pods/$(POD_NAME)"]])
        let mounts = try f.manager.mounts(pod: pod, container: c, volumes: volumes, env: ["POD_NAME": "web-0"])
        #expect(mounts.map(\.source) == [try #require(VolumeFS.realPath(volumes["logs"]!)) + "/pods/web-0"])
        let e = #expect(throws: VolumeError.self) { _ = try f.manager.mounts(pod: pod, container: c, volumes: volumes, env: [:]) }
        #expect(e?.description == "missing value for POD_NAME")
    }
}
