import ArgumentParser
import Foundation
import Logging
import SkiffClient
import SkiffSim

/// `skiff sim`: simulated nodes against a running server (like KWOK).
struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run simulated nodes: register Nodes and move Pods bound to them to Running without containers.")

    @Option(help: "How many nodes to simulate.")
    var nodes = 1

    @Option(help: "The API server URL (default: the kubeconfig's).")
    var server: String?

    @Option(help: "The kubeconfig to use (default: $KUBECONFIG, else ~/.skiff/kubeconfig or /var/lib/skiff/kubeconfig as root).")
    var kubeconfig: String?

    @Option(help: "Node names are <prefix><index>.")
    var namePrefix = "sim-node-"

    @Option(help: "Spread the nodes over this many zones (topology.kubernetes.io/zone=zone-<i>); 0 for no zone label.")
    var zones = 0

    @Option(help: "The nodes' Lease duration; each Lease is renewed every quarter of it, as the kubelet does.")
    var nodeLeaseDurationSeconds: Int64 = 40

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func run() async throws {
        var logger = Logger(label: "skiff-sim")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let path = kubeconfig ?? ProcessInfo.processInfo.environment["KUBECONFIG"]
            ?? (getuid() == 0 ? "/var/lib/skiff/kubeconfig" : NSHomeDirectory() + "/.skiff/kubeconfig")
        var config = try Kubeconfig.load(path: path)
        if let server { config.server = server }
        var settings = SkiffSim.Simulator.Configuration(nodes: nodes)
        settings.namePrefix = namePrefix
        settings.zones = zones
        settings.leaseDurationSeconds = max(nodeLeaseDurationSeconds, 1)
        settings.leaseRenewInterval = .milliseconds(settings.leaseDurationSeconds * 250)
        var transportConfiguration = try config.transportConfiguration()
        transportConfiguration.maxIdleConnections = settings.workers + settings.parallelRequests + 4
        let transport = try HTTPTransport(configuration: transportConfiguration)
        let simulator = Simulator(client: Client(transport: transport, userAgent: "skiff-sim"), configuration: settings, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await Signals.termination() }
            group.addTask { try await simulator.run() }
            try await group.next()
            group.cancelAll()
        }
        await transport.shutdown()
    }
}
