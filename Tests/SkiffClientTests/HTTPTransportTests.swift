import Foundation
import NIOSSL
import SkiffAPIServer
import SkiffModel
import Testing
@testable import SkiffClient

/// `HTTPTransport` against the API server's real HTTPS listener on a loopback port.
@Suite(.timeLimit(.minutes(1))) struct HTTPTransportTests {
    /// Serves the test cluster over TLS on 127.0.0.1 and passes the admin kubeconfig text to `body`.
    static func withServer(_ body: @Sendable @escaping (TestCluster, String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-client-tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pki = try PKI.loadOrCreate(directory: dir, hosts: ["localhost", "127.0.0.1"])
        let tls = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.servingCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.servingKeyPEM.utf8), format: .pem))))
        try await TestCluster.with { cluster in
            let http = HTTPServer(host: "127.0.0.1", port: 0, tls: tls, logger: TestCluster.logger) { request, _ in
                await cluster.api.handle(request)
            }
            let (ports, portContinuation) = AsyncStream<Int>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await http.run { portContinuation.yield($0) } }
                var it = ports.makeAsyncIterator()
                let port = await it.next()!
                let kubeconfig = """
                apiVersion: v1
                kind: Config
                clusters:
                - cluster:
                    certificate-authority-data: \(Data(pki.caCertificatePEM.utf8).base64EncodedString())
                    server: https://127.0.0.1:\(port)
                  name: skiff
                contexts:
                - context:
                    cluster: skiff
                    user: admin
                  name: skiff
                current-context: skiff
                preferences: {}
                users:
                - name: admin
                  user:
                    token: \(TestCluster.token)

                """
                try await body(cluster, kubeconfig)
                group.cancelAll()
            }
        }
    }

    @Test func crudAndErrorsOverHTTPS() async throws {
        try await Self.withServer { _, kubeconfig in
            let transport = try HTTPTransport(kubeconfig: try Kubeconfig(parsing: kubeconfig))
            let client = Client(transport: transport)
            let created = try await client.create(.configMaps, configMap("web", data: ["k": "v"]))
            #expect(created["metadata", "resourceVersion"]?.string?.isEmpty == false)
            // Several requests in a row reuse the pooled keep-alive connection.
            for _ in 0..<5 {
                #expect(try await client.get(.configMaps, namespace: "default", name: "web")["data", "k"] == "v")
            }
            #expect(transport.connectionsOpened == 1)
            let list = try await client.list(.configMaps, namespace: "default")
            #expect(list.items.map(ObjectKey.of) == ["default/web"])
            #expect(!list.resourceVersion.isEmpty)

            let missing = await #expect(throws: APIError.self) {
                try await client.get(.configMaps, namespace: "default", name: "nope")
            }
            #expect(missing?.code == 404 && missing?.reason == "NotFound" && missing?.message == "configmaps \"nope\" not found")
            #expect(missing?.isNotFound == true)
            let exists = await #expect(throws: APIError.self) {
                try await client.create(.configMaps, configMap("web"))
            }
            #expect(exists?.isAlreadyExists == true)
            var stale = created
            stale["data", "k"] = "w"
            _ = try await client.update(.configMaps, stale)
            let conflict = await #expect(throws: APIError.self) { try await client.update(.configMaps, stale) }
            #expect(conflict?.isConflict == true)
            await transport.shutdown()
        }
    }

    @Test func watchStreamsChunkedEvents() async throws {
        try await Self.withServer { _, kubeconfig in
            let transport = try HTTPTransport(kubeconfig: try Kubeconfig(parsing: kubeconfig))
            let client = Client(transport: transport)
            let list = try await client.list(.configMaps, namespace: "default")
            let stream = try await client.watch(.configMaps, namespace: "default", options: .init(resourceVersion: list.resourceVersion))
            _ = try await client.create(.configMaps, configMap("one"))
            _ = try await client.create(.configMaps, configMap("two"))
            var seen: [String] = []
            for try await event in stream {
                seen.append("\(event.type.rawValue) \(ObjectKey.of(event.object))")
                if seen.count == 2 { break }
            }
            #expect(seen == ["ADDED default/one", "ADDED default/two"])
            await transport.shutdown()
        }
    }

    @Test func badTokenAndUntrustedServerFail() async throws {
        try await Self.withServer { _, kubeconfig in
            var config = try Kubeconfig(parsing: kubeconfig)
            config.token = "wrong"
            let unauthorized = await #expect(throws: APIError.self) {
                try await Client(transport: try HTTPTransport(kubeconfig: config)).list(.pods)
            }
            #expect(unauthorized?.code == 401)

            var untrusted = try Kubeconfig(parsing: kubeconfig)
            untrusted.certificateAuthorityData = nil  // system roots do not know the cluster CA
            await #expect(throws: (any Error).self) {
                try await Client(transport: try HTTPTransport(kubeconfig: untrusted)).list(.pods)
            }
        }
    }
}
