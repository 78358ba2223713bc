import Foundation
import Logging
import NIOSSL
import SkiffAPIServer
import SkiffClient
import SkiffControllers
import SkiffInProcess
import SkiffModel
import SkiffNodeAgent
import SkiffProxy
import SkiffScheduler
import SkiffStorage

/// Wires the control plane together from flags: store, watch cache, API server over TLS, and the
/// bootstrap objects; writes the admin kubeconfig.
struct ControlPlane {
    var options: ServerOptions
    /// `skiff up`: also run a node agent on this machine.
    var node: NodeOptions? = nil

    func run() async throws {
        let logger = {
            var l = Logger(label: "skiff")
            l.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
            return l
        }()
        let dataDir = options.resolvedDataDir
        try FileManager.default.createDirectory(atPath: dataDir + "/db", withIntermediateDirectories: true)
        let hosts = HostAddresses.all(bindAddress: options.bindAddress)
        let pki = try PKI.loadOrCreate(directory: dataDir + "/tls", hosts: hosts)
        let token = try AdminToken.loadOrCreate(path: dataDir + "/admin.token")
        let backend = try SQLiteBackend(path: dataDir + "/db/state.db")
        let registry = Registry(BuiltinKinds.all)
        let cache = WatchCache(backend: backend, registry: registry, logger: logger)
        let store = ResourceStore(backend: backend, cache: cache, registry: registry)
        let admin = UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])
        let serviceAccountKey = try ServiceAccountTokens.loadOrCreateKey(path: dataDir + "/tls/service-account.key")
        let serviceAccountTokens = try ServiceAccountTokens(keyPEM: serviceAccountKey, issuer: options.serviceAccountIssuer)
        // The credential the API server presents to node agents for logs, exec and nodes/proxy.
        let kubeletToken = try AdminToken.loadOrCreate(path: dataDir + "/kubelet.token")
        let api = APIServer(configuration: .init(authenticator: TokenAuthenticator(tokens: [token: admin]),
                                                 serviceAccountTokens: serviceAccountTokens, serviceAccountAdmission: true,
                                                 kubelet: try KubeletClientConfiguration(caCertificatePEM: pki.caCertificatePEM,
                                                                                         bearerToken: kubeletToken),
                                                 rbac: options.authorizationMode == .rbac),
                            registry: registry, store: store, logger: logger)
        let tls = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.servingCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.servingKeyPEM.utf8), format: .pem))))
        let http = HTTPServer(host: options.bindAddress, port: options.port, tls: tls, logger: logger) { request, _ in
            await api.handle(request)
        }
        let server = "https://\(options.bindAddress == "0.0.0.0" ? "127.0.0.1" : options.bindAddress):\(options.port)"
        try AdminKubeconfig.write(path: dataDir + "/kubeconfig", server: server, caPEM: pki.caCertificatePEM, token: token)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await Signals.termination() }
            let loaded = try await cache.load()
            group.addTask { try await cache.follow(from: loaded) }
            group.addTask { try await Compactor(backend: backend).run() }
            group.addTask { try await CRDRegistrar(store: store, logger: logger) { api.servedResourcesChanged() }.run() }
            group.addTask {
                try await http.run { port in logger.info("API server listening", metadata: ["address": "\(options.bindAddress):\(port)"]) }
            }
            try await Bootstrap.ensureNamespaces(store: store, registry: registry)
            try await BootstrapPolicy.ensure(store: store, registry: registry)
            let advertise = hosts.first { Allocator.parseIPv4($0) != nil && !$0.hasPrefix("127.") } ?? "127.0.0.1"
            try await Bootstrap.ensureKubernetesService(store: store, address: advertise, port: options.port)
            api.markReady()
            logger.info("ready", metadata: ["kubeconfig": "\(dataDir)/kubeconfig"])
            func client(_ userAgent: String) -> Client {
                Client(transport: InProcessTransport(api: api, bearerToken: token), userAgent: "\(userAgent)/v1.33.0 (linux/amd64) skiff")
            }
            // BEGIN scheduler (SkiffScheduler): places pending Pods through the in-process transport
            let scheduler = try Scheduler(client: client("kube-scheduler"), logger: logger)
            group.addTask { try await scheduler.run() }
            // END scheduler
            // BEGIN controller manager (SkiffControllers): every controller over one set of shared informers
            var controllers = ControllerManager.Configuration(rootCAPEM: pki.caCertificatePEM) { ns, name, uid, secret in
                try serviceAccountTokens.sign(ServiceAccountTokens.legacyClaims(namespace: ns, serviceAccount: .init(name: name, uid: uid),
                                                                                secretName: secret))
            }
            controllers.nodeLifecycle.monitorPeriod = options.nodeMonitorPeriod.duration
            controllers.nodeLifecycle.gracePeriod = options.nodeMonitorGracePeriod.duration
            controllers.nodeLifecycle.startupGracePeriod = options.nodeStartupGracePeriod.duration
            controllers.podGC.terminatedPodThreshold = options.terminatedPodGcThreshold
            let manager = ControllerManager(configuration: controllers, client: client("kube-controller-manager"), logger: logger)
            group.addTask { try await manager.run() }
            // END controller manager
            // BEGIN node agent (SkiffNodeAgent): `skiff up` runs this machine's Pods
            if let node {
                if let why = node.unavailable {
                    logger.warning("running without a node agent", metadata: ["reason": "\(why)"])
                } else {
                    var agentConfiguration = node.configuration(dataDir: dataDir, defaultPodCIDR: "10.42.0.0/24")
                    // The cluster DNS (SkiffProxy) on the Pods' gateway address, if not turned off.
                    let clusterDNS = node.dns.clusterDNS(for: &agentConfiguration, client: client("coredns"), logger: logger)
                    let agent = try NodeAgent(configuration: agentConfiguration, client: client("kubelet"), logger: logger)
                    group.addTask { try await agent.run() }
                    if let proxy = try node.proxy(client: client("kube-proxy"), defaultPodCIDR: "10.42.0.0/24", logger: logger) {
                        group.addTask { try await proxy.run() }
                    }
                    if let clusterDNS { group.addTask { await clusterDNS.runUntilCancelled(logger: logger) } }
                    // The agent's API (logs, exec) on the API server's serving certificate, which
                    // names this machine's addresses and is signed by the cluster CA.
                    let kubelet = try KubeletServer(
                        configuration: .init(port: node.kubeletPort, certificatePath: dataDir + "/tls/serving.crt",
                                             keyPath: dataDir + "/tls/serving.key", bearerTokens: [kubeletToken]),
                        backend: agent, logger: logger)
                    group.addTask { try await kubelet.run() }
                }
            }
            // END node agent
            try await group.next()  // a signal, or a service that stopped
            logger.info("shutting down")
            group.cancelAll()
        }
        await backend.close()
    }
}

/// The admin bearer token in `<data-dir>/admin.token`.
enum AdminToken {
    static func loadOrCreate(path: String) throws -> String {
        if let t = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty {
            return t
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        FileManager.default.createFile(atPath: path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        return token
    }
}

/// The names and IPv4 addresses the serving certificate is valid for.
enum HostAddresses {
    static func all(bindAddress: String) -> [String] {
        var hosts = ["localhost", "127.0.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc"]
        var name = [CChar](repeating: 0, count: 256)
        if gethostname(&name, 255) == 0 {
            let host = String(cString: name)
            if !host.isEmpty { hosts.append(host) }
        }
        var ifaddr: UnsafeMutablePointer<ifaddrs>?
        if getifaddrs(&ifaddr) == 0 {
            var p = ifaddr
            while let a = p {
                if let sa = a.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) {
                    var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                    sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                        var addr = sin.pointee.sin_addr
                        _ = inet_ntop(AF_INET, &addr, &buf, socklen_t(INET_ADDRSTRLEN))
                    }
                    hosts.append(String(cString: buf))
                }
                p = a.pointee.ifa_next
            }
            freeifaddrs(ifaddr)
        }
        if bindAddress != "0.0.0.0" { hosts.append(bindAddress) }
        var seen = Set<String>()
        return hosts.filter { seen.insert($0).inserted }
    }
}

/// The admin kubeconfig, written atomically with mode 0600.
enum AdminKubeconfig {
    static func write(path: String, server: String, caPEM: String, token: String) throws {
        let ca = Data(caPEM.utf8).base64EncodedString()
        let text = """
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            certificate-authority-data: \(ca)
            server: \(server)
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
            token: \(token)

        """
        let tmp = path + ".tmp"
        FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        _ = rename(tmp, path)
    }
}
