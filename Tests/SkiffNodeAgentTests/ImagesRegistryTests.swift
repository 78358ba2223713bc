import Foundation
import Testing
@testable import SkiffNodeAgent

/// A busybox image built with umoci from `busybox-static`, pushed by skopeo to a `docker-registry`
/// on 127.0.0.1 and saved as OCI and docker archives.
struct BusyboxFixture {
    static let toolsInstalled = ["/usr/bin/umoci", "/usr/bin/skopeo", "/usr/bin/docker-registry", "/bin/busybox"]
        .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) } && geteuid() == 0
    static let skipReason: Comment = "needs root and umoci, skopeo, docker-registry, busybox-static (scripts/install-deps)"

    static let script = #"""
    set -euo pipefail
    dir=$1
    cd "$dir"
    umoci init --layout oci >/dev/null
    umoci new --image oci:latest >/dev/null
    umoci unpack --image oci:latest bundle >/dev/null
    mkdir -p bundle/rootfs/bin bundle/rootfs/etc
    cp /bin/busybox bundle/rootfs/bin/busybox
    ln -s busybox bundle/rootfs/bin/sh
    echo root:x:0:0:root:/root:/bin/sh > bundle/rootfs/etc/passwd
    umoci repack --image oci:latest bundle >/dev/null
    umoci config --image oci:latest --config.cmd /bin/sh --config.workingdir /root --config.env PATH=/bin >/dev/null
    umoci gc --layout oci >/dev/null
    skopeo copy -q oci:oci:latest oci-archive:"$dir/oci.tar":busybox:latest
    skopeo copy -q oci:oci:latest docker-archive:"$dir/docker.tar":busybox:latest
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p storage
    cat > registry.yml <<EOF
    version: 0.1
    log: {level: error}
    storage: {filesystem: {rootdirectory: $dir/storage}}
    http: {addr: 127.0.0.1:$port}
    EOF
    docker-registry serve registry.yml >registry.log 2>&1 &
    echo $! > registry.pid
    for i in $(seq 1 100); do
      curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
      sleep 0.1
    done
    skopeo copy -q --dest-tls-verify=false oci:oci:latest docker://127.0.0.1:$port/test/busybox:1
    echo $port > port
    """#

    let dir: String
    let port: Int
    let registryPID: Int32

    static func with(_ body: (BusyboxFixture) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            // system(3) waits for bash only, not for the registry it leaves running.
            try script.write(toFile: dir + "/fixture.sh", atomically: true, encoding: .utf8)
            let status = system("/bin/bash \(dir)/fixture.sh \(dir) >\(dir)/fixture.log 2>&1")
            let data = (try? Data(contentsOf: URL(fileURLWithPath: dir + "/port"))) ?? Data()
            let pid = (try? String(contentsOfFile: dir + "/registry.pid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            defer { if let pid { kill(pid, SIGTERM); var status: Int32 = 0; waitpid(pid, &status, 0) } }
            guard status == 0, let port = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
                  let pid else {
                Issue.record("fixture script failed (\(status)): \(String(decoding: data, as: UTF8.self))")
                return
            }
            try await body(BusyboxFixture(dir: dir, port: port, registryPID: pid))
        }
    }
}

@Suite(.serialized, .enabled(if: BusyboxFixture.toolsInstalled, BusyboxFixture.skipReason))
struct ImagesRegistryTests {
    @Test func pullUnpackPrepareAndCollect() async throws {
        try await BusyboxFixture.with { fx in
            let store = try ImageStore(root: fx.dir + "/store")
            let client = RegistryClient()
            let image = try await store.pull("127.0.0.1:\(fx.port)/test/busybox:1", using: client)
            await client.shutdown()
            #expect(image.name == "127.0.0.1:\(fx.port)/test/busybox:1")
            let config = try await store.config(image)
            #expect(config.cmd == ["/bin/sh"])
            #expect(config.workingDir == "/root")
            #expect(config.env == ["PATH=/bin"])
            let layers = try await store.unpack(image)
            #expect(layers.contains { FileManager.default.isExecutableFile(atPath: $0 + "/bin/busybox") })

            let rootfs = try await store.prepareRootfs(image, containerID: "c1")
            #expect(FileManager.default.isExecutableFile(atPath: rootfs.path + "/bin/busybox"))
            _ = FileManager.default.createFile(atPath: rootfs.path + "/written", contents: Data("x".utf8))
            #expect(layers.allSatisfy { !FileManager.default.fileExists(atPath: $0 + "/written") })

            // In use by a container: kept.
            var gc = try await store.garbageCollect()
            #expect(gc.images.isEmpty && gc.blobs.isEmpty)
            try await store.removeRootfs(containerID: "c1")
            #expect(!FileManager.default.fileExists(atPath: fx.dir + "/store/containers/c1"))

            // Reopened from disk: the index survives.
            let reopened = try ImageStore(root: fx.dir + "/store")
            #expect(await reopened.image("127.0.0.1:\(fx.port)/test/busybox:1")?.digest == image.digest)
            gc = try await reopened.garbageCollect()
            #expect(gc.images == [image.name])
            #expect(try FileManager.default.contentsOfDirectory(atPath: fx.dir + "/store/blobs/sha256").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: fx.dir + "/store/layers").isEmpty)
        }
    }

    @Test func pullByDigestAndMissingTag() async throws {
        try await BusyboxFixture.with { fx in
            let store = try ImageStore(root: fx.dir + "/store")
            let client = RegistryClient()
            defer { Task { await client.shutdown() } }
            let first = try await store.pull("127.0.0.1:\(fx.port)/test/busybox:1", using: client)
            let byDigest = try await store.pull("127.0.0.1:\(fx.port)/test/busybox@\(first.digest)", using: client)
            #expect(byDigest.digest == first.digest)
            let e = await #expect(throws: ImageError.self) { try await store.pull("127.0.0.1:\(fx.port)/test/busybox:nope", using: client) }
            #expect(e?.code == .notFound)
            let wrong = "sha256:" + String(repeating: "0", count: 64)
            await #expect(throws: ImageError.self) { try await store.pull("127.0.0.1:\(fx.port)/test/busybox@\(wrong)", using: client) }
        }
    }

    @Test(arguments: ["oci.tar", "docker.tar"])
    func importArchive(file: String) async throws {
        try await BusyboxFixture.with { fx in
            let store = try ImageStore(root: fx.dir + "/store")
            let images = try await store.importArchive(fx.dir + "/" + file, baseName: "busybox")
            #expect(images.map(\.name) == ["docker.io/library/busybox:latest"])
            let image = try #require(images.first)
            #expect(try await store.config(image).cmd == ["/bin/sh"])
            let rootfs = try await store.prepareRootfs(image, containerID: "c-\(file)")
            #expect(FileManager.default.isExecutableFile(atPath: rootfs.path + "/bin/busybox"))
            try await store.removeRootfs(containerID: "c-\(file)")
        }
    }
}
