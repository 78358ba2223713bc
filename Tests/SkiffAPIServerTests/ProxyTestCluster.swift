import Foundation
import Logging
import NIOSSL
import SkiffModel
import SkiffStorage
@testable import SkiffAPIServer
@testable import SkiffNodeAgent

/// An API server over TLS and a node agent's `KubeletServer` over TLS, both in this process on
/// loopback ports, the agent registered as Node `node1` (InternalIP 127.0.0.1, its port in
/// `daemonEndpoints`), and an admin kubeconfig for the real kubectl.
struct ProxyTestCluster: Sendable {
    static let adminToken = "proxy-test-admin"
    static let kubeletToken = "proxy-test-kubelet"

    let fixture: StoreFixture
    let backend: HostProcessBackend
    let kubeconfig: String
    let kubeletPort: Int
    let caPEM: String

    static func with(_ body: @Sendable (ProxyTestCluster) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-proxy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pki = try PKI.loadOrCreate(directory: dir + "/tls", hosts: ["localhost", "127.0.0.1"])
        let tls = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.servingCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.servingKeyPEM.utf8), format: .pem))))
        let backend = HostProcessBackend(directory: dir + "/logs")
        // The agent serves the same CA-signed certificate (it names 127.0.0.1), as a node would its own.
        let kubelet = try KubeletServer(configuration: .init(host: "127.0.0.1", port: 0, certificatePath: dir + "/tls/serving.crt",
                                                             keyPath: dir + "/tls/serving.key", bearerTokens: [kubeletToken],
                                                             followPollInterval: .milliseconds(50)),
                                        backend: backend, logger: StoreFixture.logger)
        try await StoreFixture.with { fixture in
            let admin = UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])
            let api = APIServer(configuration: .init(authenticator: TokenAuthenticator(tokens: [adminToken: admin]),
                                                     kubelet: try KubeletClientConfiguration(caCertificatePEM: pki.caCertificatePEM,
                                                                                             bearerToken: kubeletToken)),
                                registry: fixture.registry, store: fixture.store, logger: StoreFixture.logger)
            api.markReady()
            let http = HTTPServer(host: "127.0.0.1", port: 0, tls: tls, logger: StoreFixture.logger) { request, _ in await api.handle(request) }
            let (ports, portsIn) = AsyncStream<Int>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await http.run { portsIn.yield($0) } }
                group.addTask { try await kubelet.run { portsIn.yield(-$0) } }
                var apiPort = 0, kubeletPort = 0
                for await p in ports {
                    if p > 0 { apiPort = p } else { kubeletPort = -p }
                    if apiPort > 0 && kubeletPort > 0 { break }
                }
                let kubeconfig = dir + "/kubeconfig"
                try Self.kubeconfigText(port: apiPort, caPEM: pki.caCertificatePEM).write(toFile: kubeconfig, atomically: true, encoding: .utf8)
                let node: JSON = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "node1"]]
                var created = try await fixture.create(fixture.type("", "nodes"), node)
                created["status"] = ["addresses": [["type": "InternalIP", "address": "127.0.0.1"], ["type": "Hostname", "address": "node1"]],
                                     "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(Int64(kubeletPort))]]]
                try await fixture.update(fixture.type("", "nodes"), created, target: .status)
                let cluster = ProxyTestCluster(fixture: fixture, backend: backend, kubeconfig: kubeconfig, kubeletPort: kubeletPort,
                                               caPEM: pki.caCertificatePEM)
                do {
                    try await body(cluster)
                } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        }
    }

    /// Creates a Pod in `default` with these containers, on `node1` unless `node` is nil.
    func createPod(_ name: String, containers: [String], node: String? = "node1") async throws {
        var spec: JSON = ["containers": .array(containers.map { ["name": .string($0), "image": "busybox"] })]
        if let node { spec["nodeName"] = .string(node) }
        try await fixture.create(fixture.pods, ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"],
                                                "spec": spec])
    }

    /// Runs the real kubectl against the API server; `stdin` is piped in and closed.
    func kubectl(_ args: [String], stdin: String? = nil, binary: String = KubectlResult.path) async throws -> KubectlResult {
        try await KubectlResult.run(["--kubeconfig", kubeconfig, "--request-timeout=30s"] + args, stdin: stdin, binary: binary)
    }

    static func kubeconfigText(port: Int, caPEM: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())
            server: https://127.0.0.1:\(port)
          name: skiff
        contexts:
        - context:
            cluster: skiff
            user: admin
          name: skiff
        current-context: skiff
        users:
        - name: admin
          user:
            token: \(adminToken)

        """
    }
}

/// What a kubectl run printed and how it exited.
struct KubectlResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String

    static let path = "/usr/bin/kubectl"

    /// Runs `kubectl` on threads of its own (never blocking the cooperative pool, which serves
    /// the in-process servers).
    static func run(_ args: [String], stdin: String?, binary: String = path) async throws -> KubectlResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = args
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            Thread.detachNewThread {
                input.fileHandleForWriting.write(Data(stdin.utf8))
                try? input.fileHandleForWriting.close()
            }
        }
        async let o = onThread { out.fileHandleForReading.readDataToEndOfFile() }
        async let e = onThread { err.fileHandleForReading.readDataToEndOfFile() }
        let (stdoutData, stderrData) = await (o, e)
        let status = await onThread { process.waitUntilExit(); return process.terminationStatus }
        return KubectlResult(status: status, stdout: String(decoding: stdoutData, as: UTF8.self), stderr: String(decoding: stderrData, as: UTF8.self))
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { cont in Thread.detachNewThread { cont.resume(returning: body()) } }
    }
}

