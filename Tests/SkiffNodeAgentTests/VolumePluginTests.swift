import Foundation
import Glibc
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// Each volume plugin against a temporary pods directory and a mock object source.
@Suite(.serialized) struct VolumePluginTests {
    @Test func emptyDirIsAWorldWritableDirectoryUnderThePodsVolumes() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let paths = try await f.manager.setUp(pod: f.pod(volumes: [["name": "scratch", "emptyDir": [:]]]))
        let dir = "\(f.dir)/pods/\(f.uid)/volumes/kubernetes.io~empty-dir/scratch"
        #expect(paths == ["scratch": dir])
        #expect(f.mode(dir) == 0o777)
        try "kept".write(toFile: dir + "/f", atomically: false, encoding: .utf8)
        _ = try await f.manager.setUp(pod: f.pod(volumes: [["name": "scratch", "emptyDir": [:]]]))
        #expect(f.read(dir + "/f") == "kept")   // setting up again keeps the contents
    }

    @Test func configMapWritesEveryKeyWithTheAtomicLayout() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setConfigMap("app", data: ["a.conf": "A=1", "b.conf": "B=2"], binaryData: ["bin": Data([0, 1, 255]).base64EncodedString()])
        let paths = try await f.manager.setUp(pod: f.pod(volumes: [["name": "cfg", "configMap": ["name": "app"]]]))
        let dir = try #require(paths["cfg"])
        #expect(dir.hasSuffix("/volumes/kubernetes.io~configmap/cfg"))
        #expect(f.read(dir + "/a.conf") == "A=1")
        #expect(FileManager.default.contents(atPath: dir + "/bin") == Data([0, 1, 255]))
        #expect(f.link(dir + "/a.conf") == "..data/a.conf")
        let ts = try #require(f.link(dir + "/..data"))
        #expect(ts.hasPrefix("..") && ts.count > "..2024_01_01_00_00_00.".count)
        #expect(f.entries(dir) == ["..data", ts, "a.conf", "b.conf", "bin"].sorted())
        #expect(f.mode(dir + "/a.conf") == 0o644)
    }

    @Test func itemsChooseKeysPathsAndModes() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setConfigMap("app", data: ["a": "1", "b": "2", "c": "3"])
        let volume: JSON = ["name": "cfg", "configMap": [
            "name": "app", "defaultMode": 0o600,
            "items": [["key": "a", "path": "sub/dir/a.txt"], ["key": "b", "path": "b.txt", "mode": 0o400]],
        ]]
        let dir = try #require(try await f.manager.setUp(pod: f.pod(volumes: [volume]))["cfg"])
        #expect(f.read(dir + "/sub/dir/a.txt") == "1")
        #expect(f.mode(dir + "/sub/dir/a.txt") == 0o600)
        #expect(f.mode(dir + "/b.txt") == 0o400)
        #expect(f.link(dir + "/sub") == "..data/sub")
        #expect(!FileManager.default.fileExists(atPath: dir + "/c"))
    }

    @Test func missingObjectsAndKeysFailUnlessOptional() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let missing = await #expect(throws: VolumeError.self) {
            _ = try await f.manager.setUp(pod: f.pod(volumes: [["name": "cfg", "configMap": ["name": "nope"]]]))
        }
        #expect(missing?.description == "MountVolume.SetUp failed for volume \"cfg\" : configmap \"nope\" not found")
        #expect(missing?.code == .notFound)

        let secretMissing = await #expect(throws: VolumeError.self) {
            _ = try await f.manager.setUp(pod: f.pod(volumes: [["name": "s", "secret": ["secretName": "nope"]]]))
        }
        #expect(secretMissing?.description == "MountVolume.SetUp failed for volume \"s\" : secret \"nope\" not found")

        let optional = try await f.manager.setUp(pod: f.pod(volumes: [["name": "cfg", "configMap": ["name": "nope", "optional": true]]]))
        let dir = try #require(optional["cfg"])
        #expect(f.entries(dir).filter { !$0.hasPrefix("..") }.isEmpty)
        #expect(f.link(dir + "/..data") != nil)

        f.source.setConfigMap("app", data: ["a": "1"])
        let badKey = await #expect(throws: VolumeError.self) {
            _ = try await f.manager.setUp(pod: f.pod(volumes: [["name": "cfg", "configMap": ["name": "app", "items": [["key": "zz", "path": "z"]]]]]))
        }
        #expect(badKey?.message == "configmap references non-existent config key: zz")
        let skipped = try await f.manager.setUp(pod: f.pod(volumes: [["name": "cfg2", "configMap": [
            "name": "app", "optional": true, "items": [["key": "zz", "path": "z"], ["key": "a", "path": "a"]]]]]))
        #expect(f.entries(try #require(skipped["cfg2"])).filter { !$0.hasPrefix("..") } == ["a"])
    }

    @Test func itemPathsMayNotEscape() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setConfigMap("app", data: ["a": "1"])
        for (path, message) in [("../x", "invalid path: must not contain '..': ../x"), ("/etc/x", "invalid path: must be relative path: /etc/x"),
                                ("..x/y", "invalid path: must not start with '..': ..x/y")] {
            let e = await #expect(throws: VolumeError.self) {
                _ = try await f.manager.setUp(pod: f.pod(volumes: [["name": "cfg", "configMap": ["name": "app", "items": [["key": "a", "path": .string(path)]]]]]))
            }
            #expect(e?.message == message)
        }
    }

    @Test func secretValuesAreDecoded() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setSecret("creds", plain: ["password": "s3cr=t\n", "user": "admin"])
        let dir = try #require(try await f.manager.setUp(pod: f.pod(volumes: [["name": "s", "secret": ["secretName": "creds", "defaultMode": 0o440]]]))["s"])
        #expect(dir.hasSuffix("/volumes/kubernetes.io~secret/s"))
        #expect(f.read(dir + "/password") == "s3cr=t\n")
        #expect(f.mode(dir + "/user") == 0o440)
        if geteuid() == 0 { #expect(MountTable.isMountPoint(dir)) }   // secrets live in memory, as the kubelet's
    }

    @Test func downwardAPIProjectsMetadataAndResources() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        let container: JSON = ["name": "app", "resources": ["limits": ["memory": "64Mi", "cpu": "250m"], "requests": ["cpu": "100m"]]]
        let volume: JSON = ["name": "info", "downwardAPI": ["items": [
            ["path": "name", "fieldRef": ["fieldPath": "metadata.name"]],
            ["path": "ns", "fieldRef": ["fieldPath": "metadata.namespace"]],
            ["path": "uid", "fieldRef": ["fieldPath": "metadata.uid"]],
            ["path": "labels", "fieldRef": ["fieldPath": "metadata.labels"]],
            ["path": "annotations", "fieldRef": ["fieldPath": "metadata.annotations"]],
            ["path": "tier", "fieldRef": ["fieldPath": "metadata.labels['tier']"], "mode": 0o600],
            ["path": "mem_mi", "resourceFieldRef": ["containerName": "app", "resource": "limits.memory", "divisor": "1Mi"]],
            ["path": "cpu_limit", "resourceFieldRef": ["containerName": "app", "resource": "limits.cpu"]],
            ["path": "cpu_req_m", "resourceFieldRef": ["containerName": "app", "resource": "requests.cpu", "divisor": "1m"]],
            ["path": "mem_req", "resourceFieldRef": ["containerName": "app", "resource": "requests.memory"]],
            ["path": "storage_limit_gi", "resourceFieldRef": ["containerName": "app", "resource": "limits.ephemeral-storage", "divisor": "1Gi"]],
        ]]]
        let dir = try #require(try await f.manager.setUp(pod: f.pod(volumes: [volume], container: container))["info"])
        #expect(f.read(dir + "/name") == "web")
        #expect(f.read(dir + "/ns") == "ns")
        #expect(f.read(dir + "/uid") == f.uid)
        #expect(f.read(dir + "/labels") == "app=\"web\"\ntier=\"front\"")
        #expect(f.read(dir + "/annotations") == "note=\"say \\\"hi\\\"\\nbye\"")
        #expect(f.read(dir + "/tier") == "front")
        #expect(f.mode(dir + "/tier") == 0o600)
        #expect(f.read(dir + "/mem_mi") == "64")
        #expect(f.read(dir + "/cpu_limit") == "1")        // 250m rounded up to whole cores
        #expect(f.read(dir + "/cpu_req_m") == "100")
        #expect(f.read(dir + "/mem_req") == "67108864")   // no request: the limit, as API defaulting sets it
        #expect(f.read(dir + "/storage_limit_gi") == "100") // no limit: the node's allocatable

        let bad = await #expect(throws: VolumeError.self) {
            _ = try await f.manager.setUp(pod: f.pod(volumes: [["name": "bad", "downwardAPI": ["items": [
                ["path": "x", "fieldRef": ["fieldPath": "spec.nodeName"]],
                ["path": "y", "resourceFieldRef": ["containerName": "ghost", "resource": "limits.cpu"]]]]]]))
        }
        #expect(bad?.message == "[unsupported fieldPath: spec.nodeName, container ghost not found]")
    }

    @Test func projectedMergesSourcesAndRequestsBoundTokens() async throws {
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setConfigMap("kube-root-ca.crt", data: ["ca.crt": "-----BEGIN CERTIFICATE-----"])
        f.source.setSecret("extra", plain: ["k": "v"])
        // The volume the ServiceAccount admission plugin adds to Pods.
        let volume: JSON = ["name": "kube-api-access-x7k2p", "projected": ["defaultMode": 0o644, "sources": [
            ["serviceAccountToken": ["expirationSeconds": 3607, "path": "token"]],
            ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
            ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
            ["secret": ["name": "extra", "items": [["key": "k", "path": "extra/k", "mode": 0o400]]]],
            ["serviceAccountToken": ["audience": "vault", "path": "vault-token"]],
        ]]]
        let pod = f.pod(volumes: [volume])
        let dir = try #require(try await f.manager.setUp(pod: pod)["kube-api-access-x7k2p"])
        #expect(dir.hasSuffix("/volumes/kubernetes.io~projected/kube-api-access-x7k2p"))
        #expect(f.read(dir + "/token") == "token-1-default")
        #expect(f.read(dir + "/ca.crt") == "-----BEGIN CERTIFICATE-----")
        #expect(f.read(dir + "/namespace") == "ns")
        #expect(f.read(dir + "/extra/k") == "v")
        #expect(f.mode(dir + "/extra/k") == 0o400)
        #expect(f.mode(dir + "/token") == 0o644)
        let requests = f.source.state.withLock { $0.tokenRequests }
        #expect(requests.map(\.audiences) == [[], ["vault"]])
        #expect(requests.map(\.expirationSeconds) == [3607, 3600])
        #expect(requests.allSatisfy { $0.namespace == "ns" && $0.serviceAccount == "default" && $0.podName == "web" })

        // A resync does not mint new tokens while the cached ones are fresh.
        try await f.manager.refresh(pod: pod)
        #expect(f.source.tokenRequestCount == 2)
        #expect(f.read(dir + "/token") == "token-1-default")

        f.source.state.withLock { $0.failTokens = true }
        try f.manager.tearDown(podUID: f.uid)
        let e = await #expect(throws: VolumeError.self) { _ = try await f.manager.setUp(pod: pod) }
        #expect(e?.description == "MountVolume.SetUp failed for volume \"kube-api-access-x7k2p\" : [serviceaccounts \"default\" not found, serviceaccounts \"default\" not found]")
    }

    @Test func tokenRefreshFollowsTheJWTExpiry() throws {
        let now = Date()
        let claims = #"{"exp":\#(Int(now.timeIntervalSince1970) + 3600)}"#
        let b64 = Data(claims.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        let jwt = "eyJhbGciOiJSUzI1NiJ9.\(b64).sig"
        let exp = try #require(ServiceAccountTokens.expiry(of: jwt))
        #expect(abs(exp.timeIntervalSince(now) - 3600) < 2)
        let entry = ServiceAccountTokens.Entry(token: jwt, fetched: now, expires: exp)
        #expect(!ServiceAccountTokens.requiresRefresh(entry, ttl: 3600, now: now.addingTimeInterval(2000)))
        #expect(ServiceAccountTokens.requiresRefresh(entry, ttl: 3600, now: now.addingTimeInterval(2900)))
        #expect(ServiceAccountTokens.expiry(of: "opaque-token") == nil)
    }

    @Test func fsGroupOwnsTheVolumes() async throws {
        guard geteuid() == 0 else { return }
        let f = try VolumeFixture()
        defer { f.cleanUp() }
        f.source.setSecret("creds", plain: ["key": "v"])
        let pod = f.pod(volumes: [["name": "s", "secret": ["secretName": "creds", "defaultMode": 0o400]],
                                  ["name": "scratch", "emptyDir": [:]],
                                  ["name": "tok", "projected": ["sources": [["serviceAccountToken": ["path": "token"]]]]]],
                        extraSpec: ["securityContext": ["fsGroup": 2000, "runAsUser": 1000]])
        let paths = try await f.manager.setUp(pod: pod)
        var st = stat()
        #expect(stat(try #require(paths["s"]) + "/key", &st) == 0 && st.st_gid == 2000)
        #expect(f.mode(paths["s"]! + "/key") == 0o440)
        #expect(stat(paths["scratch"]!, &st) == 0 && st.st_gid == 2000 && st.st_mode & S_ISGID != 0)
        #expect(stat(paths["tok"]! + "/token", &st) == 0 && st.st_uid == 1000 && st.st_mode & 0o777 == 0o640)
    }
}
