import ArgumentParser
import Foundation

/// Flags shared by `skiff server` and `skiff up`.
struct ServerOptions: ParsableArguments {
    @Option(help: "Where Skiff keeps its database, certificates and kubeconfig (default: /var/lib/skiff as root, ~/.skiff otherwise).")
    var dataDir: String?

    @Option(help: "The address the API server listens on.")
    var bindAddress = "127.0.0.1"

    @Option(help: "The API server's port.")
    var port = 6443

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    @Option(help: "The issuer (`iss`) of ServiceAccount tokens, also their default audience.")
    var serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

    @Option(help: "How requests are authorized: RBAC (Roles and bindings decide; system:masters may do anything) or AlwaysAllow (any authenticated user may do anything).")
    var authorizationMode: AuthorizationMode = .rbac

    // BEGIN cluster controller flags
    @Option(help: "How often the node lifecycle controller checks node health (Go duration).")
    var nodeMonitorPeriod = DurationArgument(.seconds(5))

    @Option(help: "How long a node may stay silent (no Lease renewal, no status) before it is marked Unknown (Go duration).")
    var nodeMonitorGracePeriod = DurationArgument(.seconds(40))

    @Option(help: "How long a node that never posted Ready may stay silent before it is marked Unknown (Go duration).")
    var nodeStartupGracePeriod = DurationArgument(.seconds(60))

    @Option(help: "Terminated Pods kept before the Pod garbage collector deletes the oldest; 0 or less to keep all.")
    var terminatedPodGcThreshold = 12500
    // END cluster controller flags

    var resolvedDataDir: String { dataDir ?? DataDir.default }
}

enum AuthorizationMode: String, ExpressibleByArgument, CaseIterable {
    case rbac = "RBAC"
    case alwaysAllow = "AlwaysAllow"
}

/// Where Skiff keeps its state unless `--data-dir` says otherwise.
enum DataDir {
    static var `default`: String { getuid() == 0 ? "/var/lib/skiff" : NSHomeDirectory() + "/.skiff" }
}

struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the control plane (API server and store).")
    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await ControlPlane(options: options).run()
    }
}

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a one-node cluster: the control plane and everything Skiff has on this machine.")
    @OptionGroup var options: ServerOptions
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await ControlPlane(options: options, node: node).run()
    }
}
