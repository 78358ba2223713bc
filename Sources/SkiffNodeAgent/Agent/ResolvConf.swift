import SkiffModel

/// A Pod's /etc/resolv.conf as the kubelet writes it.
///
/// - `ClusterFirst` (default): the cluster DNS servers, search `<ns>.svc.<domain> svc.<domain>
///   <domain>` followed by the host's search domains, `options ndots:5`; without cluster DNS
///   configured, the host's file (`missingClusterDNS`).
/// - `ClusterFirstWithHostNet`: as ClusterFirst; `ClusterFirst` on a host-network Pod means Default.
/// - `Default`: the node's servers, search domains and options.
/// - `None`: only what `dnsConfig` gives.
/// `dnsConfig` nameservers and searches are appended, options merged by name.
public struct ResolvConf: Sendable, Hashable {
    public var nameservers: [String]
    public var searches: [String]
    public var options: [String]
    /// ClusterFirst was asked for but no cluster DNS is configured.
    public var missingClusterDNS = false

    public var text: String {
        var lines: [String] = []
        if !searches.isEmpty { lines.append("search " + searches.joined(separator: " ")) }
        lines += nameservers.map { "nameserver " + $0 }
        if !options.isEmpty { lines.append("options " + options.joined(separator: " ")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses a resolv.conf.
    public static func parse(_ text: String) -> ResolvConf {
        var r = ResolvConf(nameservers: [], searches: [], options: [])
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = f.first, !key.hasPrefix("#"), !key.hasPrefix(";") else { continue }
            switch key {
            case "nameserver": r.nameservers += f.dropFirst().prefix(1)
            case "search", "domain": r.searches = Array(f.dropFirst())
            case "options": r.options += f.dropFirst()
            default: break
            }
        }
        return r
    }

    public static func forPod(_ pod: JSON, clusterDNS: [String], clusterDomain: String, host: String) -> ResolvConf {
        let hostNetwork = pod["spec", "hostNetwork"]?.bool ?? false
        var policy = pod["spec", "dnsPolicy"]?.string ?? "ClusterFirst"
        if policy == "ClusterFirst" && hostNetwork { policy = "Default" }
        if policy == "ClusterFirstWithHostNet" { policy = "ClusterFirst" }
        var r: ResolvConf
        switch policy {
        case "None":
            r = ResolvConf(nameservers: [], searches: [], options: [])
        case "ClusterFirst" where !clusterDNS.isEmpty:
            let ns = pod["metadata", "namespace"]?.string ?? "default"
            let hostSearches = parse(host).searches
            r = ResolvConf(nameservers: clusterDNS,
                           searches: ["\(ns).svc.\(clusterDomain)", "svc.\(clusterDomain)", clusterDomain] + hostSearches,
                           options: ["ndots:5"])
        case "ClusterFirst":
            r = parse(host)
            r.missingClusterDNS = true
        default:
            r = parse(host)
        }
        let config = pod["spec", "dnsConfig"] ?? .object([:])
        r.nameservers += (config["nameservers"]?.array ?? []).compactMap(\.string)
        r.searches += (config["searches"]?.array ?? []).compactMap(\.string)
        for o in config["options"]?.array ?? [] {
            guard let name = o["name"]?.string else { continue }
            let option = o["value"]?.string.map { "\(name):\($0)" } ?? name
            r.options.removeAll { $0 == name || $0.hasPrefix(name + ":") }
            r.options.append(option)
        }
        r.nameservers = Array(r.nameservers.prefix(3))
        r.searches = Array(r.searches.prefix(32))
        return r
    }
}
