import ArgumentParser
import Foundation
import Logging
import SkiffClient
import SkiffNodeAgent
import SkiffProxy

/// Flags of the node agent, shared by `skiff agent` and `skiff up`.
struct NodeOptions: ParsableArguments {
    @Option(help: "The Node's name (default: this machine's host name).")
    var nodeName: String?

    @Option(help: "The Node's InternalIP (default: the first non-loopback IPv4 address, else 127.0.0.1).")
    var nodeIp: String?

    @Option(help: "A registry (HOST:PORT) to pull from over plain HTTP; repeat for several.")
    var insecureRegistry: [String] = []

    @Option(help: "The runc binary (default: runc on PATH).")
    var runc: String?

    @Option(help: "The port of the agent's API (logs, exec), kubelet's 10250.")
    var kubeletPort = 10250

    @Option(help: ArgumentHelp("The node's Pod address range(s), comma-separated (e.g. 10.42.0.0/24): Pods get their IPs from it through the CNI bridge plugin. `skiff up` defaults to 10.42.0.0/24; `skiff agent` without it gives Pods only loopback.", valueName: "cidr"))
    var podCidr: String?

    @Flag(help: "Do not run the service proxy, which programs iptables so that Service cluster IPs and node ports reach their ready endpoints.")
    var disableKubeProxy = false

    @OptionGroup var dns: DNSOptions

    var resolvedNodeName: String {
        if let n = nodeName, !n.isEmpty { return n }
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, 255) == 0 else { return "localhost" }
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
        return host.isEmpty ? "localhost" : host
    }

    /// Why this machine cannot run a node agent, or nil when it can.
    var unavailable: String? {
        if getuid() != 0 { return "not running as root (containers need root)" }
        if let r = runc { return FileManager.default.isExecutableFile(atPath: r) ? nil : "runc not found at \(r)" }
        return RuncRuntime.findOnPath("runc") == nil ? "runc is not installed (apt-get install runc)" : nil
    }

    /// The service proxy of this node, or nil when it is turned off or cannot run here (logged).
    func proxy(client: Client, defaultPodCIDR: String? = nil, logger: Logger) throws -> ServiceProxy? {
        if disableKubeProxy { return nil }
        if let why = ServiceProxy.unavailable {
            logger.warning("running without a service proxy", metadata: ["reason": "\(why)"])
            return nil
        }
        let cidrs = configuration(dataDir: "", defaultPodCIDR: defaultPodCIDR).podCIDRs.filter { !$0.contains(":") }
        return try ServiceProxy(configuration: .init(rules: .init(localPodCIDRs: cidrs)), client: client, logger: logger)
    }

    func configuration(dataDir: String, defaultPodCIDR: String? = nil) -> NodeAgent.Configuration {
        var c = NodeAgent.Configuration(nodeName: resolvedNodeName, dataDir: dataDir)
        c.kubeletPort = kubeletPort
        c.podCIDRs = (podCidr ?? defaultPodCIDR ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        c.nodeIP = nodeIp
        c.insecureRegistries = insecureRegistry
        c.runcPath = runc
        return c
    }
}

/// `skiff agent`: a node joining a running server.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run a node agent: join a server and run the Pods bound to this node as containers.")

    @Option(help: "The API server URL (default: the kubeconfig's).")
    var server: String?

    @Option(help: "A bearer token for the API server (default: the kubeconfig's).")
    var token: String?

    @Option(help: "A kubeconfig to take the server, its CA and credentials from.")
    var kubeconfig: String?

    @Option(help: "The PEM file of the CA that signed the server's certificate (without --kubeconfig).")
    var certificateAuthority: String?

    @Option(help: "Where the agent keeps pods, images and runtime state (default: /var/lib/skiff as root, ~/.skiff otherwise).")
    var dataDir: String?

    @OptionGroup var node: NodeOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func run() async throws {
        var logger = Logger(label: "skiff-agent")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        if let why = node.unavailable { throw ValidationError("cannot run a node agent here: \(why)") }
        var config: Kubeconfig
        if let kubeconfig {
            config = try Kubeconfig.load(path: kubeconfig)
            if let server { config.server = server }
        } else {
            guard let server else { throw ValidationError("--server or --kubeconfig is required") }
            var ca: [UInt8]?
            if let path = certificateAuthority {
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                ca = Array(data)
            }
            config = Kubeconfig(server: server, certificateAuthorityData: ca)
        }
        if let token { config.token = token }
        let transport = try HTTPTransport(configuration: try config.transportConfiguration())
        let dir = dataDir ?? DataDir.default
        var agentConfiguration = node.configuration(dataDir: dir)
        let clusterDNS = node.dns.clusterDNS(for: &agentConfiguration,
                                             client: Client(transport: transport, userAgent: "coredns/v1.33.0 (linux/amd64) skiff"),
                                             logger: logger)
        let agent = try NodeAgent(configuration: agentConfiguration,
                                  client: Client(transport: transport, userAgent: "kubelet/v1.33.0 (linux/amd64) skiff"),
                                  logger: logger)
        let proxy = try node.proxy(client: Client(transport: transport, userAgent: "kube-proxy/v1.33.0 (linux/amd64) skiff"), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await Signals.termination() }
            if let clusterDNS { group.addTask { [logger] in await clusterDNS.runUntilCancelled(logger: logger) } }
            group.addTask { try await agent.run() }
            if let proxy { group.addTask { try await proxy.run() } }
            try await group.next()
            group.cancelAll()
        }
        await transport.shutdown()
    }
}
