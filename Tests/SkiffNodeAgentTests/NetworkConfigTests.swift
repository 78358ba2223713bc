import Foundation
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// The parts of the CNI network that need no root: configurations, port mappings, results,
/// errors.
struct NetworkConfigTests {
    let configuration = CNINetwork.Configuration(podCIDRs: ["10.42.0.0/24"], dataDirectory: "/var/lib/skiff/cni", mtu: 1450)

    @Test func theListIsBridgeWithHostLocalThenPortmap() throws {
        let list = CNINetwork.networkConfigList(configuration, withPortMap: true)
        #expect(list["cniVersion"] == "1.0.0")
        #expect(list["name"] == "skiff")
        let plugins = try #require(list["plugins"]?.array)
        #expect(plugins.map { $0["type"]?.string } == ["bridge", "portmap"])
        let bridge = plugins[0]
        #expect(bridge["bridge"] == "skiff0")
        #expect(bridge["isGateway"] == true && bridge["isDefaultGateway"] == true)
        #expect(bridge["ipMasq"] == true && bridge["hairpinMode"] == true)
        #expect(bridge["mtu"] == 1450)
        #expect(bridge["ipam"] == ["type": "host-local", "ranges": [[["subnet": "10.42.0.0/24"]]], "dataDir": "/var/lib/skiff/cni/ipam"])
        #expect(plugins[1]["capabilities"] == ["portMappings": true])
        #expect(CNINetwork.networkConfigList(configuration, withPortMap: false)["plugins"]?.array?.count == 1)
    }

    @Test func aPluginGetsNameVersionPrevResultAndOnlyItsCapabilities() throws {
        let list = CNINetwork.networkConfigList(configuration, withPortMap: true)
        let plugins = try #require(list["plugins"]?.array)
        let runtime: JSON = ["portMappings": [["hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": "0.0.0.0"]], "bandwidth": [:]]
        let prev: JSON = ["cniVersion": "1.0.0", "ips": [["address": "10.42.0.2/24"]]]
        let portmap = CNINetwork.pluginConfig(plugins[1], list: list, prevResult: prev, runtimeConfig: runtime)
        #expect(portmap["name"] == "skiff" && portmap["cniVersion"] == "1.0.0")
        #expect(portmap["prevResult"] == prev)
        #expect(portmap["runtimeConfig"] == ["portMappings": runtime["portMappings"]!])
        let bridge = CNINetwork.pluginConfig(plugins[0], list: list, prevResult: nil, runtimeConfig: runtime)
        #expect(bridge["runtimeConfig"] == nil && bridge["prevResult"] == nil)
    }

    @Test func hostPortsBecomeMappingsWithAHostIP() throws {
        let pod: JSON = ["spec": ["containers": [
            ["name": "a", "ports": [["containerPort": 80, "hostPort": 8080], ["containerPort": 9090]]],
            ["name": "b", "ports": [["containerPort": 53, "hostPort": 53, "protocol": "UDP", "hostIP": "127.0.0.1"]]],
        ]]]
        let v4 = try CNINetwork.portMappings(of: pod, podCIDRs: ["10.42.0.0/24"])
        #expect(v4 == [PortMapping(hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "0.0.0.0"),
                       PortMapping(hostPort: 53, containerPort: 53, protocol: "udp", hostIP: "127.0.0.1")])
        let dual = try CNINetwork.portMappings(of: pod, podCIDRs: ["10.42.0.0/24", "fd00:42::/64"])
        #expect(dual.map(\.hostIP) == ["0.0.0.0", "::", "127.0.0.1"])
        #expect(try CNINetwork.portMappings(of: ["spec": ["containers": [["name": "a"]]]], podCIDRs: ["10.42.0.0/24"]).isEmpty)
    }

    @Test(arguments: [
        (["containerPort": 80, "hostPort": 70000] as JSON, "hostPort"),
        (["hostPort": 8080] as JSON, "containerPort"),
        (["containerPort": 80, "hostPort": 8080, "protocol": "ICMP"] as JSON, "protocol"),
    ])
    func badPortsAreInvalidPods(port: JSON, field: String) throws {
        let pod: JSON = ["spec": ["containers": [["name": "a", "ports": [port]]]]]
        let error = try #require(throws: NetworkError.self) { try CNINetwork.portMappings(of: pod, podCIDRs: ["10.42.0.0/24"]) }
        #expect(error.code == .invalidPod)
        #expect(error.message.contains("spec.containers[0].ports[0].\(field)"), "\(error)")
    }

    @Test func podIPsAreTheSandboxAddressesIPv4First() throws {
        let result = try JSON.parse("""
        {"cniVersion":"1.0.0","interfaces":[{"name":"skiff0"},{"name":"veth1"},{"name":"eth0","sandbox":"/run/netns/x"}],
         "ips":[{"interface":2,"address":"fd00:42::5/64"},{"interface":0,"address":"10.42.0.1/24"},{"interface":2,"address":"10.42.0.5/24","gateway":"10.42.0.1"}]}
        """)
        #expect(CNINetwork.podIPs(from: result) == ["10.42.0.5", "fd00:42::5"])
    }

    @Test func aCNIErrorObjectBecomesAClearError() {
        let out = Array(#"{"cniVersion":"1.0.0","code":7,"msg":"invalid network config","details":"bridge name too long"}"#.utf8)
        let e = CNIPluginRunner.error(plugin: "bridge", command: "ADD", status: 1, stdout: out, stderr: [])
        #expect(e.code == .pluginFailed)
        #expect(e.cniCode == 7 && e.cniMessage == "invalid network config" && e.cniDetails == "bridge name too long")
        #expect(e.message == "CNI plugin bridge ADD failed: invalid network config (bridge name too long) [CNI error 7: invalid network config]")
        let crash = CNIPluginRunner.error(plugin: "portmap", command: "DEL", status: 2, stdout: [], stderr: Array("panic: boom\n".utf8))
        #expect(crash.cniCode == nil && crash.message == "CNI plugin portmap DEL exited with status 2: panic: boom")
    }

    @Test func theMasqueradeChainIsTheBridgePlugins() {
        // sha512("skiffabc") starts with 92822b251973330bfad25207 (checked against the plugin's rules).
        #expect(CNINetwork.masqueradeChain(network: "skiff", containerID: "abc") == "CNI-92822b251973330bfad25207")
    }

    @Test(arguments: ["10.42.0.0", "10.42.0.0/33", "10.42.0.0/31", "banana/24", "fd00::/127", ""])
    func badPodCIDRsAreRejected(cidr: String) {
        #expect(throws: NetworkError.self) { try CNINetwork.validateCIDR(cidr) }
    }

    @Test(arguments: ["10.42.0.0/24", "10.0.0.0/8", "fd00:42::/64"])
    func goodPodCIDRsAreAccepted(cidr: String) throws {
        try CNINetwork.validateCIDR(cidr)
    }

    @Test func aBadPluginDirectoryIsAClearError() throws {
        let error = try #require(throws: NetworkError.self) {
            _ = try CNINetwork(configuration: .init(podCIDRs: ["10.42.0.0/24"], dataDirectory: "/tmp/skiffnet-unused",
                                                    pluginDirectory: "/nonexistent/cni"))
        }
        #expect(error.code == .pluginNotFound)
        #expect(error.description == "pluginNotFound: CNI plugin directory /nonexistent/cni does not exist (install containernetworking-plugins)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/skiffnet-unused"))
    }

    @Test func aPodWithoutUIDIsRejected() {
        #expect(throws: NetworkError.self) { try CNINetwork.uid(of: ["metadata": ["name": "p"]]) }
        #expect(throws: NetworkError.self) { try CNINetwork.uid(of: ["metadata": ["uid": "a/b"]]) }
    }
}
