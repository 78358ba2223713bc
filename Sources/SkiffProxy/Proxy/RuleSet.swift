import Foundation

/// The whole content of Skiff's own chains as one `iptables-restore --noflush` input, laid out as
/// kube-proxy's iptables mode lays out its `KUBE-` chains.
///
/// nat: `SKIFF-SERVICES` matches each cluster IP (and external IP, marked for masquerade) and
/// port and jumps to the port's `SKIFF-SVC-<hash>`, and last sends local destinations to `SKIFF-NODEPORTS`. A `SKIFF-SVC-`
/// chain marks for masquerade what needs it, then picks an endpoint's `SKIFF-SEP-<hash>` with
/// `-m statistic --mode random --probability 1/(n-i)` (or the one a client used last, with
/// `sessionAffinity: ClientIP`, through `-m recent`); a `SKIFF-SEP-` chain marks hairpin traffic
/// (an endpoint reaching itself) and DNATs. `SKIFF-MARK-MASQ` sets the masquerade bit,
/// `SKIFF-POSTROUTING` masquerades marked packets.
///
/// filter: a Service port without ready endpoints is REJECTed (`has no endpoints`), in
/// `SKIFF-SERVICES` for its cluster IP and `SKIFF-EXTERNAL-SERVICES` for its external IPs and
/// node port;
/// `SKIFF-FORWARD` accepts forwarded Service traffic when the FORWARD policy drops.
///
/// Every chain is declared (which flushes it), so applying the text replaces the previous rule
/// set in one transaction; chains of `stale` not written again are deleted.
public struct RuleSet: Sendable {
    public struct Options: Sendable {
        /// Service traffic from these ranges is masqueraded: the node's own Pods, whose
        /// replies from a backend on the same bridge would otherwise skip the host's conntrack.
        public var localPodCIDRs: [String] = []
        /// The cluster's Pod range: traffic from outside it to a cluster IP is masqueraded
        /// (kube-proxy's `--cluster-cidr`). Nil: none is, for that reason.
        public var clusterCIDR: String?
        /// The packet-mark bit that asks for masquerade (kube-proxy's `--iptables-masquerade-bit`, 14).
        public var masqueradeBit = 14

        public init(localPodCIDRs: [String] = [], clusterCIDR: String? = nil) {
            self.localPodCIDRs = localPodCIDRs
            self.clusterCIDR = clusterCIDR
        }

        var mark: String { "0x" + String(1 << masqueradeBit, radix: 16) }
    }

    public static let servicesChain = "SKIFF-SERVICES"
    public static let externalServicesChain = "SKIFF-EXTERNAL-SERVICES"
    public static let forwardChain = "SKIFF-FORWARD"
    public static let nodePortsChain = "SKIFF-NODEPORTS"
    public static let postroutingChain = "SKIFF-POSTROUTING"
    public static let markMasqChain = "SKIFF-MARK-MASQ"

    /// The iptables-restore text for `ports`. `stale` lists chains now in the tables (as
    /// `table/chain`); those of Skiff's that this rule set does not write are flushed and deleted.
    public static func render(_ ports: [ServicePort], options: Options = .init(), stale: Set<String> = []) -> String {
        let mark = options.mark
        var filterChains = [servicesChain, externalServicesChain, forwardChain]
        var filter: [String] = []
        var natChains = [servicesChain, nodePortsChain, postroutingChain, markMasqChain]
        var nat: [String] = [
            "-A \(postroutingChain) -m mark ! --mark \(mark)/\(mark) -j RETURN",
            "-A \(postroutingChain) -j MARK --xor-mark \(mark)",
            "-A \(postroutingChain) -m comment --comment \"skiff service traffic requiring SNAT\" -j MASQUERADE --random-fully",
            "-A \(markMasqChain) -j MARK --or-mark \(mark)",
        ]
        var services: [String] = []
        var nodePorts: [String] = []
        var chainRules: [String] = []
        for port in ports {
            let proto = "-m \(port.iptablesProtocol) -p \(port.iptablesProtocol)"
            let dest = "-d \(port.clusterIP)/32 --dport \(port.port)"
            if port.endpoints.isEmpty {
                let c = quote(port.name + " has no endpoints")
                filter.append("-A \(servicesChain) -m comment --comment \(c) \(proto) \(dest) -j REJECT")
                for ip in port.externalIPs {
                    filter.append("-A \(externalServicesChain) -m comment --comment \(c) \(proto) -d \(ip)/32 --dport \(port.port) -j REJECT")
                }
                if let np = port.nodePort {
                    filter.append("-A \(externalServicesChain) -m comment --comment \(c) -m addrtype --dst-type LOCAL \(proto) --dport \(np) -j REJECT")
                }
                continue
            }
            let svc = ChainName.service(port)
            natChains.append(svc)
            services.append("-A \(servicesChain) -m comment --comment \(quote(port.name + " cluster IP")) \(proto) \(dest) -j \(svc)")
            for ip in port.externalIPs {
                // Traffic from outside to an external IP is masqueraded, so replies come back here.
                let c = quote(port.name + " external IP")
                services.append("-A \(servicesChain) -m comment --comment \(c) \(proto) -d \(ip)/32 --dport \(port.port) -j \(markMasqChain)")
                services.append("-A \(servicesChain) -m comment --comment \(c) \(proto) -d \(ip)/32 --dport \(port.port) -j \(svc)")
            }
            if let np = port.nodePort {
                let c = quote(port.name)
                nodePorts.append("-A \(nodePortsChain) -m comment --comment \(c) \(proto) --dport \(np) -j \(markMasqChain)")
                nodePorts.append("-A \(nodePortsChain) -m comment --comment \(c) \(proto) --dport \(np) -j \(svc)")
            }
            let ipComment = quote(port.name + " cluster IP")
            if let cidr = options.clusterCIDR {
                chainRules.append("-A \(svc) -m comment --comment \(ipComment) \(proto) \(dest) ! -s \(cidr) -j \(markMasqChain)")
            }
            for cidr in options.localPodCIDRs {
                chainRules.append("-A \(svc) -m comment --comment \(ipComment) \(proto) \(dest) -s \(cidr) -j \(markMasqChain)")
            }
            let seps = port.endpoints.map { ChainName.endpoint(port, $0) }
            if let seconds = port.affinitySeconds {
                for (ep, sep) in zip(port.endpoints, seps) {
                    chainRules.append("-A \(svc) -m comment --comment \(quote("\(port.name) -> \(ep)")) -m recent --name \(sep) --mask 255.255.255.255 --rsource --rcheck --seconds \(seconds) --reap -j \(sep)")
                }
            }
            let n = port.endpoints.count
            for (i, (ep, sep)) in zip(port.endpoints, seps).enumerated() {
                let probability = i < n - 1 ? " -m statistic --mode random --probability " + String(format: "%0.10f", 1.0 / Double(n - i)) : ""
                chainRules.append("-A \(svc) -m comment --comment \(quote("\(port.name) -> \(ep)"))\(probability) -j \(sep)")
            }
            for (ep, sep) in zip(port.endpoints, seps) {
                natChains.append(sep)
                let c = quote(port.name)
                chainRules.append("-A \(sep) -m comment --comment \(c) -s \(ep.ip)/32 -j \(markMasqChain)")
                let recent = port.affinitySeconds == nil ? "" : " -m recent --set --name \(sep) --mask 255.255.255.255 --rsource"
                chainRules.append("-A \(sep) -m comment --comment \(c)\(recent) \(proto) -j DNAT --to-destination \(ep)")
            }
        }
        services.append("-A \(servicesChain) -m comment --comment \"skiff service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j \(nodePortsChain)")
        filter.append("-A \(forwardChain) -m comment --comment \"skiff forwarding rules\" -m mark --mark \(mark)/\(mark) -j ACCEPT")
        filter.append("-A \(forwardChain) -m comment --comment \"skiff forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        nat += services + nodePorts + chainRules

        // Chains of ours that are in the tables but not written now: declare (flush), then delete.
        var filterStale: [String] = []
        var natStale: [String] = []
        for entry in stale.sorted() {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("SKIFF-") else { continue }
            if parts[0] == "nat", !natChains.contains(parts[1]) { natStale.append(parts[1]) }
            if parts[0] == "filter", !filterChains.contains(parts[1]) { filterStale.append(parts[1]) }
        }
        filterChains += filterStale
        natChains += natStale
        var lines = ["*filter"] + filterChains.map { ":\($0) - [0:0]" } + filter + filterStale.map { "-X \($0)" } + ["COMMIT"]
        lines += ["*nat"] + natChains.map { ":\($0) - [0:0]" } + nat + natStale.map { "-X \($0)" } + ["COMMIT"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Flushes and deletes every chain of `chains` (as `table/chain`) that is Skiff's.
    public static func removal(of chains: Set<String>) -> String {
        var out = ""
        for table in ["filter", "nat"] {
            let mine = chains.sorted().compactMap { entry -> String? in
                let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
                return parts.count == 2 && parts[0] == table && parts[1].hasPrefix("SKIFF-") ? parts[1] : nil
            }
            out += "*\(table)\n" + mine.map { ":\($0) - [0:0]\n" }.joined() + mine.map { "-X \($0)\n" }.joined() + "COMMIT\n"
        }
        return out
    }

    static func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "") + "\"" }
}
