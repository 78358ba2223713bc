import Foundation
import Glibc
import SkiffModel

/// A hostPort of a Pod as the portmap plugin's `portMappings` capability takes it.
struct PortMapping: Sendable, Hashable {
    var hostPort: Int
    var containerPort: Int
    /// "tcp", "udp" or "sctp".
    var `protocol`: String
    var hostIP: String

    var json: JSON {
        ["hostPort": .int(Int64(hostPort)), "containerPort": .int(Int64(containerPort)),
         "protocol": .string(`protocol`), "hostIP": .string(hostIP)]
    }
}

extension CNINetwork {
    static let cniVersion = "1.0.0"
    static let loopbackNetworkName = "cni-loopback"
    static let podInterface = "eth0"

    /// The Pod's network configuration list: bridge with host-local IPAM, then portmap when
    /// `withPortMap`.
    static func networkConfigList(_ c: Configuration, withPortMap: Bool) -> JSON {
        var bridge: JSON = [
            "type": "bridge",
            "bridge": .string(c.bridgeName),
            "isGateway": true,
            "isDefaultGateway": .bool(c.isDefaultGateway),
            "ipMasq": .bool(c.ipMasq),
            "hairpinMode": .bool(c.hairpinMode),
            "ipam": [
                "type": "host-local",
                "ranges": .array(c.podCIDRs.map { .array([["subnet": .string($0)]]) }),
                "dataDir": .string(c.ipamDirectory),
            ],
        ]
        if let mtu = c.mtu { bridge["mtu"] = .int(Int64(mtu)) }
        var plugins: [JSON] = [bridge]
        if withPortMap {
            plugins.append(["type": "portmap", "capabilities": ["portMappings": true], "snat": true])
        }
        return ["cniVersion": .string(cniVersion), "name": .string(c.networkName), "plugins": .array(plugins)]
    }

    static let loopbackConfig: JSON = ["cniVersion": .string(cniVersion), "name": .string(loopbackNetworkName), "type": "loopback"]

    /// The configuration one plugin of a list gets on stdin (CNI spec, "Deriving execution
    /// configuration from plugin configuration"): the list's `name` and `cniVersion`, the
    /// previous result, and `runtimeConfig` restricted to the capabilities the plugin declares.
    static func pluginConfig(_ plugin: JSON, list: JSON, prevResult: JSON?, runtimeConfig: JSON) -> JSON {
        var conf = plugin
        conf["name"] = list["name"]
        conf["cniVersion"] = list["cniVersion"]
        if let prevResult { conf["prevResult"] = prevResult }
        var rc: [String: JSON] = [:]
        for (cap, on) in plugin["capabilities"]?.members ?? [:] where on.bool == true {
            if let v = runtimeConfig[cap] { rc[cap] = v }
        }
        if !rc.isEmpty { conf["runtimeConfig"] = .object(rc) }
        return conf
    }

    /// `CNI_ARGS` as the kubelet's runtimes pass them.
    static func cniArgs(pod: JSON, uid: String) -> [(String, String)] {
        [("IgnoreUnknown", "1"),
         ("K8S_POD_NAMESPACE", pod["metadata", "namespace"]?.string ?? "default"),
         ("K8S_POD_NAME", pod["metadata", "name"]?.string ?? ""),
         ("K8S_POD_INFRA_CONTAINER_ID", uid),
         ("K8S_POD_UID", uid)]
    }

    /// The hostPorts of the Pod's containers. An empty `hostIP` becomes the unspecified address
    /// of each family of the pod CIDRs ("0.0.0.0", "::"), so a mapping never lacks one.
    static func portMappings(of pod: JSON, podCIDRs: [String]) throws -> [PortMapping] {
        let families = Set(podCIDRs.map { $0.contains(":") ? "::" : "0.0.0.0" })
        var out: [PortMapping] = []
        for (i, container) in (pod["spec", "containers"]?.array ?? []).enumerated() {
            for (j, port) in (container["ports"]?.array ?? []).enumerated() {
                guard let hostPort = port["hostPort"]?.int, hostPort != 0 else { continue }
                let field = "spec.containers[\(i)].ports[\(j)]"
                guard (1...65535).contains(hostPort) else {
                    throw NetworkError(.invalidPod, "\(field).hostPort: \(hostPort) is not between 1 and 65535")
                }
                guard let containerPort = port["containerPort"]?.int, (1...65535).contains(containerPort) else {
                    throw NetworkError(.invalidPod, "\(field).containerPort: must be between 1 and 65535")
                }
                let proto = (port["protocol"]?.string ?? "TCP").lowercased()
                guard ["tcp", "udp", "sctp"].contains(proto) else {
                    throw NetworkError(.invalidPod, "\(field).protocol: \"\(port["protocol"]?.string ?? "")\" is not TCP, UDP or SCTP")
                }
                let hostIP = port["hostIP"]?.string ?? ""
                let ips = hostIP.isEmpty ? families.sorted() : [hostIP]
                for ip in ips {
                    let m = PortMapping(hostPort: Int(hostPort), containerPort: Int(containerPort), protocol: proto, hostIP: ip)
                    if !out.contains(m) { out.append(m) }
                }
            }
        }
        return out
    }

    /// The addresses (without prefix length) a result gives the Pod's interfaces, IPv4 first.
    static func podIPs(from result: JSON) -> [String] {
        let interfaces = result["interfaces"]?.array ?? []
        var v4: [String] = [], v6: [String] = []
        for ip in result["ips"]?.array ?? [] {
            if let index = ip["interface"]?.int, Int(index) < interfaces.count, Int(index) >= 0,
               (interfaces[Int(index)]["sandbox"]?.string ?? "").isEmpty {
                continue
            }
            guard let address = ip["address"]?.string?.split(separator: "/").first.map(String.init) else { continue }
            if address.contains(":") { v6.append(address) } else { v4.append(address) }
        }
        return v4 + v6
    }

    /// Throws `invalidConfiguration` unless `cidr` is an IPv4 or IPv6 network in CIDR notation.
    static func validateCIDR(_ cidr: String) throws {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        let bad = NetworkError(.invalidConfiguration, "pod CIDR \"\(cidr)\" is not an IPv4 or IPv6 network such as 10.42.0.0/24")
        guard parts.count == 2, let bits = Int(parts[1]) else { throw bad }
        var buf = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, String(parts[0]), &buf) == 1 {
            guard (0...30).contains(bits) else { throw bad }
        } else if inet_pton(AF_INET6, String(parts[0]), &buf) == 1 {
            guard (0...126).contains(bits) else { throw bad }
        } else {
            throw bad
        }
    }
}
