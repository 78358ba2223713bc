import ArgumentParser
import Logging
import SkiffClient
import SkiffNodeAgent
import SkiffProxy

/// Flags of the node's cluster DNS (CoreDNS in k3s), part of the node agent's flags.
struct DNSOptions: ParsableArguments {
    @Option(name: .customLong("cluster-dns"),
            help: "Serve cluster DNS on the Pods' bridge gateway (the first address of the pod CIDR, e.g. 10.42.0.1), port 53, and make it ClusterFirst Pods' nameserver; false turns it off (k3s's --disable coredns).")
    var enabled = true

    @Option(help: "The cluster domain (kubelet's --cluster-domain).")
    var clusterDomain = "cluster.local"

    @Option(help: "The node's resolver configuration: Pods with dnsPolicy Default get it, and the cluster DNS forwards names outside the cluster domain to its nameservers (kubelet's --resolv-conf).")
    var resolvConf = "/etc/resolv.conf"

    /// Points the agent's ClusterFirst Pods at the cluster DNS and returns the server to run, or
    /// nil when it is off or the node has no IPv4 Pod CIDR (its Pods then get the node's resolv.conf).
    func clusterDNS(for agent: inout NodeAgent.Configuration, client: Client, logger: Logger) -> ClusterDNS? {
        agent.clusterDomain = clusterDomain
        agent.hostResolvConf = resolvConf
        guard enabled, let address = ClusterDNS.gatewayAddress(podCIDRs: agent.podCIDRs) else { return nil }
        agent.clusterDNS = [address]
        var c = ClusterDNS.Configuration(listenAddress: address)
        c.zone = clusterDomain
        do {
            c.upstreams = try ClusterDNS.upstreams(resolvConfPath: resolvConf, excluding: [address])
        } catch {
            logger.warning("cannot read the resolver configuration; names outside the cluster get SERVFAIL",
                           metadata: ["path": "\(resolvConf)", "error": "\(error)"])
        }
        return ClusterDNS(configuration: c, client: client, logger: logger)
    }
}

extension ClusterDNS {
    /// Runs until cancelled. A failure (port 53 taken, say) is logged and leaves the rest of the
    /// node running, as a crashing CoreDNS Pod would: it only returns when cancelled.
    func runUntilCancelled(logger: Logger) async {
        do {
            try await run()
        } catch {
            if Task.isCancelled { return }
            logger.error("cluster DNS stopped", metadata: ["error": "\(error)"])
        }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}
