import Foundation
import SkiffModel
import Testing
@testable import SkiffProxy

/// Applies rule sets with the real iptables, inside a network namespace made for each test (never
/// the host's tables); needs root and `ip`.
@Suite(.enabled(if: getuid() == 0 && Command.find("ip") != nil && Command.find("iptables-restore") != nil,
                "needs root, ip and iptables"))
struct IPTablesNetnsTests {
    /// Runs `body` with iptables bound to a fresh namespace, which is deleted afterwards.
    func withNamespace(_ body: (IPTables) async throws -> Void) async throws {
        let ip = try #require(Command.find("ip"))
        let name = "skiffproxy-" + UUID().uuidString.prefix(8).lowercased()
        let made = try await Command.run(ip, ["netns", "add", name])
        try #require(made.status == 0, "ip netns add: \(made.stderr)")
        do {
            try await body(try IPTables(wrapper: [ip, "netns", "exec", name]))
        } catch {
            _ = try? await Command.run(ip, ["netns", "del", name])
            throw error
        }
        _ = try await Command.run(ip, ["netns", "del", name])
    }

    func saved(_ t: IPTables) async throws -> String {
        var out = ""
        for table in ["filter", "nat"] {
            out += try await t.run(t.save, ["-t", table]).stdout
                .split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n") + "\n"
        }
        return out
    }

    @Test func applyingTwiceGivesTheSameTablesAndStaleChainsGo() async throws {
        try await withNamespace { t in
            let all = ServicePort.from(services: Fixtures.services, slices: Fixtures.slices)
            try await t.apply(RuleSet.render(all, stale: try await t.skiffChains()))
            try await t.ensureJumps()
            let first = try await saved(t)
            #expect(first.contains("--comment \"default/web:http -> 10.42.0.5:8080\""))
            #expect(first.contains("-j DNAT --to-destination 10.42.0.7:5353"))
            #expect(first.contains("--comment \"default/empty has no endpoints\""))

            try await t.apply(RuleSet.render(all, stale: try await t.skiffChains()))
            try await t.ensureJumps()
            #expect(try await saved(t) == first)
            for chain in ["PREROUTING", "OUTPUT"] {
                #expect(first.components(separatedBy: "-A \(chain) -m comment --comment \"skiff service portals\" -j SKIFF-SERVICES").count == 2)
            }

            let web = all.first { $0.name == "default/web:http" }!
            let webChains = [ChainName.service(web)] + web.endpoints.map { ChainName.endpoint(web, $0) }
            let rest = all.filter { $0.name != web.name }
            try await t.apply(RuleSet.render(rest, stale: try await t.skiffChains()))
            let after = try await saved(t)
            for c in webChains { #expect(!after.contains(c)) }
            #expect(after.contains(ChainName.service(rest.first { $0.name == "kube-system/dns:dns" }!)))
        }
    }

    @Test func removeAllLeavesNothingOfSkiffs() async throws {
        try await withNamespace { t in
            let before = try await saved(t)
            let all = ServicePort.from(services: Fixtures.services, slices: Fixtures.slices)
            try await t.apply(RuleSet.render(all, options: .init(localPodCIDRs: ["10.42.0.0/24"], clusterCIDR: "10.42.0.0/16")))
            try await t.ensureJumps()
            #expect(try await t.skiffChains().count > 8)
            try await t.removeAll()
            #expect(try await t.skiffChains().isEmpty)
            #expect(try await saved(t) == before)
            try await t.removeAll()  // nothing left to remove is not an error
        }
    }
}
