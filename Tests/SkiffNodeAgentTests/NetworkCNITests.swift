import Foundation
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// The real CNI plugins, run inside a "host" network namespace each test creates.
@Suite(.serialized, .enabled(if: NetworkFixture.available, "needs root, the CNI plugins, ip, iptables, nsenter, busybox"))
struct NetworkCNITests {
    @Test func twoPodsGetDistinctAddressesAndReachEachOther() async throws {
        try await NetworkFixture.with { f in
            let (a, aNetns) = try await f.pod("a")
            let (b, bNetns) = try await f.pod("b")
            let aIPs = try await f.network.setUp(pod: a, netnsPath: aNetns)
            let bIPs = try await f.network.setUp(pod: b, netnsPath: bNetns)
            #expect(aIPs.count == 1 && bIPs.count == 1)
            let aIP = try #require(aIPs.first), bIP = try #require(bIPs.first)
            #expect(aIP != bIP)
            for ip in [aIP, bIP] {
                #expect(ip.hasPrefix("10.42.0.") && ip != "10.42.0.1" && ip != "10.42.0.0", "\(ip) is not a pod address of 10.42.0.0/24")
            }
            #expect(f.network.cachedIPs(podUID: a["metadata", "uid"]!.string!) == aIPs)
            #expect(f.network.attachedPodUIDs() == [a["metadata", "uid"]!.string!, b["metadata", "uid"]!.string!].sorted())

            // lo is up and eth0 has the address.
            let aNs = f.name(of: aNetns), bNs = f.name(of: bNetns)
            let lo = try await f.inside(aNs, ["ip", "-o", "link", "show", "lo"]).1
            #expect(lo.contains(",UP"), "lo: \(lo)")
            #expect(try await f.inside(aNs, ["busybox", "ping", "-c", "1", "-W", "2", "127.0.0.1"], check: false).0 == 0)
            let eth0 = try await f.inside(aNs, ["ip", "-o", "-4", "addr", "show", "eth0"]).1
            #expect(eth0.contains("\(aIP)/24"), "eth0: \(eth0)")
            let route = try await f.inside(aNs, ["ip", "route", "show", "default"]).1
            #expect(route.contains("via 10.42.0.1"), "default route: \(route)")

            // ICMP and TCP between the Pods, and from the host to a Pod.
            let ping = try await f.inside(aNs, ["busybox", "ping", "-c", "1", "-W", "2", bIP], check: false)
            #expect(ping.0 == 0, "ping a -> b: \(ping.1)")
            let server = f.serveOnce(bNs, port: 5000, reply: "hello-from-b")
            #expect(try await f.fetch(from: aNs, bIP, port: 5000) == "hello-from-b")
            await server.value
            let fromHost = f.serveOnce(aNs, port: 5001, reply: "hello-from-a")
            #expect(try await f.fetch(from: f.host, aIP, port: 5001) == "hello-from-a")
            await fromHost.value

            // CHECK passes, and setUp again returns the same address without a new lease.
            try await f.network.check(pod: a, netnsPath: aNetns)
            #expect(try await f.network.setUp(pod: a, netnsPath: aNetns) == aIPs)

            try await f.network.tearDown(pod: a, netnsPath: aNetns)
            try await f.network.tearDown(pod: b, netnsPath: bNetns)
        }
    }

    @Test func hostPortInstallsPortmapRulesThatForward() async throws {
        try await NetworkFixture.with { f in
            let (web, webNetns) = try await f.pod("web", ports: [["containerPort": 80, "hostPort": 8080, "protocol": "TCP"]])
            let (client, clientNetns) = try await f.pod("client")
            let webIP = try #require(try await f.network.setUp(pod: web, netnsPath: webNetns).first)
            _ = try await f.network.setUp(pod: client, netnsPath: clientNetns)

            let rules = try await f.natRules()
            #expect(rules.contains("--dport 8080 -j DNAT --to-destination \(webIP):80"), "nat rules:\n\(rules)")
            #expect(rules.contains("-j CNI-HOSTPORT-DNAT"))

            // The hostPort on the node's bridge address reaches the Pod (hairpin masquerade).
            let server = f.serveOnce(f.name(of: webNetns), port: 80, reply: "via-hostport")
            #expect(try await f.fetch(from: f.name(of: clientNetns), "10.42.0.1", port: 8080) == "via-hostport")
            await server.value

            try await f.network.tearDown(pod: web, netnsPath: webNetns)
            let after = try await f.natRules()
            #expect(!after.contains("--to-destination \(webIP):80"), "nat rules after tearDown:\n\(after)")
            #expect(!after.contains(CNINetwork.masqueradeChain(network: "skiff", containerID: web["metadata", "uid"]!.string!)))
            try await f.network.tearDown(pod: client, netnsPath: clientNetns)
        }
    }

    @Test func tearDownReleasesTheAddressAndIsIdempotent() async throws {
        try await NetworkFixture.with { f in
            let (p, netns) = try await f.pod("p")
            let ip = try #require(try await f.network.setUp(pod: p, netnsPath: netns).first)
            #expect(FileManager.default.fileExists(atPath: f.leaseFile(ip)))
            #expect(try await f.hostLinks("veth").count == 1)

            try await f.network.tearDown(pod: p, netnsPath: netns)
            #expect(!FileManager.default.fileExists(atPath: f.leaseFile(ip)))
            #expect(try await f.hostLinks("veth").isEmpty)
            let eth0 = try await f.inside(f.name(of: netns), ["ip", "link", "show", "eth0"], check: false)
            #expect(eth0.0 != 0, "eth0 still in the pod: \(eth0.1)")
            #expect(f.network.cachedIPs(podUID: p["metadata", "uid"]!.string!) == nil)
            #expect(f.network.attachedPodUIDs().isEmpty)

            try await f.network.tearDown(pod: p, netnsPath: netns)
        }
    }

    @Test func tearDownAfterTheNamespaceVanishedReleasesEverything() async throws {
        try await NetworkFixture.with { f in
            let (p, netns) = try await f.pod("gone", ports: [["containerPort": 53, "hostPort": 5353, "protocol": "UDP"]])
            let ip = try #require(try await f.network.setUp(pod: p, netnsPath: netns).first)
            let chain = CNINetwork.masqueradeChain(network: "skiff", containerID: p["metadata", "uid"]!.string!)
            #expect(try await f.natRules().contains(chain))

            try await f.run(["ip", "netns", "delete", f.name(of: netns)])
            try await f.network.tearDown(pod: p, netnsPath: netns)
            #expect(!FileManager.default.fileExists(atPath: f.leaseFile(ip)))
            let rules = try await f.natRules()
            #expect(!rules.contains(chain), "masquerade chain left:\n\(rules)")
            #expect(!rules.contains("--to-destination \(ip):53"), "hostPort rule left:\n\(rules)")
            #expect(try await f.hostLinks("veth").isEmpty)
            try await f.network.tearDown(pod: p, netnsPath: netns)
        }
    }

    @Test func podsSetUpAtOnceGetDistinctAddresses() async throws {
        try await NetworkFixture.with { f in
            var pods: [(pod: JSON, netns: String)] = []
            for i in 0..<8 { pods.append(try await f.pod("p\(i)", ports: i % 2 == 0 ? [["containerPort": 80, "hostPort": .int(Int64(9000 + i))]] : [])) }
            let network = f.network!
            let ips = try await withThrowingTaskGroup(of: [String].self) { group in
                for p in pods { group.addTask { try await network.setUp(pod: p.pod, netnsPath: p.netns) } }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(ips.count == 8 && Set(ips).count == 8, "\(ips)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for p in pods { group.addTask { try await network.tearDown(pod: p.pod, netnsPath: p.netns) } }
                try await group.waitForAll()
            }
            #expect(try await f.hostLinks("veth").isEmpty)
            #expect(!(try await f.natRules().contains("--to-destination")))
        }
    }

    @Test func theAddressRangeIsTheNodes() async throws {
        try await NetworkFixture.with(cidr: "10.77.3.0/28") { f in
            let (p, netns) = try await f.pod("p")
            let ips = try await f.network.setUp(pod: p, netnsPath: netns)
            #expect(ips.first?.hasPrefix("10.77.3.") == true, "\(ips)")
            try await f.network.tearDown(pod: p, netnsPath: netns)
        }
    }

    @Test func aPluginErrorIsClearAndLeavesNothingBehind() async throws {
        try await NetworkFixture.with { f in
            let (p, netns) = try await f.pod("p")
            // An eth0 already in the namespace makes the bridge plugin fail after loopback ran.
            try await f.inside(f.name(of: netns), ["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"])
            let error = try await #require(throws: NetworkError.self) {
                _ = try await f.network.setUp(pod: p, netnsPath: netns)
            }
            #expect(error.code == .pluginFailed)
            #expect(error.cniCode != nil)
            #expect(error.message.contains("CNI plugin bridge ADD failed"), "\(error)")
            #expect(error.message.contains("eth0"), "\(error)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(f.dir)/cni/results").isEmpty)
            let leases = try FileManager.default.contentsOfDirectory(atPath: "\(f.dir)/cni/ipam").flatMap {
                try FileManager.default.contentsOfDirectory(atPath: "\(f.dir)/cni/ipam/\($0)").filter { $0.hasPrefix("10.") }
            }
            #expect(leases.isEmpty, "leases left: \(leases)")

            let missing = "/run/netns/\(f.prefix)-missing"
            let gone = try await #require(throws: NetworkError.self) {
                _ = try await f.network.setUp(pod: p, netnsPath: missing)
            }
            #expect(gone.message.contains(missing), "\(gone)")
        }
    }
}
