import Crypto
import Foundation
import SkiffModel

extension CNINetwork {
    /// The bridge plugin's per-Pod masquerade chain, `CNI-` and the first 24 hex digits of
    /// SHA-512(network name + container ID) (its `utils.FormatChainName`).
    static func masqueradeChain(network: String, containerID: String) -> String {
        let digest = SHA512.hash(data: Array((network + containerID).utf8))
        return "CNI-" + digest.map { String(format: "%02x", $0) }.joined().prefix(24)
    }

    /// Removes the masquerade rules the bridge plugin added for an attachment, as its DEL does
    /// (`ip.TeardownIPMasq`) when it can still see the Pod's interface; used when the namespace
    /// is gone and the plugin cannot.
    func removeMasquerade(_ entry: CNIResultCache.Entry) async throws {
        let chain = Self.masqueradeChain(network: entry.networkName, containerID: entry.containerID)
        let comment = "name: \"\(entry.networkName)\" id: \"\(entry.containerID)\""
        for ip in Self.podIPs(from: entry.result) {
            let v6 = ip.contains(":")
            guard let iptables = RuncRuntime.findOnPath(v6 ? "ip6tables" : "iptables") else {
                throw NetworkError(.pluginNotFound, "\(v6 ? "ip6tables" : "iptables") not found on PATH")
            }
            let source = ip + (v6 ? "/128" : "/32")
            // Each step may find nothing to remove (a second teardown); only a chain that is
            // still there and cannot be removed is an error.
            _ = try await runner.exec(iptables, arguments: ["-w", "-t", "nat", "-D", "POSTROUTING", "-s", source, "-j", chain, "-m", "comment", "--comment", comment])
            let (exists, _, _) = try await runner.exec(iptables, arguments: ["-w", "-t", "nat", "-S", chain])
            guard exists == 0 else { continue }
            _ = try await runner.exec(iptables, arguments: ["-w", "-t", "nat", "-F", chain])
            let (status, _, err) = try await runner.exec(iptables, arguments: ["-w", "-t", "nat", "-X", chain])
            if status != 0 {
                throw NetworkError(.pluginFailed, "remove masquerade chain \(chain): \(String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
    }
}
