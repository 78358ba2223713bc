import SkiffModel
import Testing
@testable import SkiffProxy

@Suite struct RuleSetTests {
    /// The whole iptables-restore input for the fixtures: a NodePort Service with two ready
    /// endpoints (one not ready), a UDP Service with ClientIP affinity, an SCTP NodePort Service
    /// without endpoints (REJECT), a headless and an ExternalName Service (nothing); a stale
    /// chain of Skiff's in each table (deleted), another proxy's chain (left alone).
    @Test func rendersKubeProxysLayout() {
        let ports = ServicePort.from(services: Fixtures.services, slices: Fixtures.slices)
        let text = RuleSet.render(ports, options: .init(localPodCIDRs: ["10.42.0.0/24"]),
                                  stale: ["nat/SKIFF-SVC-GONE", "nat/KUBE-SVC-X", "filter/SKIFF-OLD", "nat/SKIFF-SERVICES"])
        #expect(text == Self.expected)
    }

    static let expected = #"""
*filter
:SKIFF-SERVICES - [0:0]
:SKIFF-EXTERNAL-SERVICES - [0:0]
:SKIFF-FORWARD - [0:0]
:SKIFF-OLD - [0:0]
-A SKIFF-SERVICES -m comment --comment "default/empty has no endpoints" -m sctp -p sctp -d 10.43.0.20/32 --dport 9000 -j REJECT
-A SKIFF-EXTERNAL-SERVICES -m comment --comment "default/empty has no endpoints" -m addrtype --dst-type LOCAL -m sctp -p sctp --dport 30900 -j REJECT
-A SKIFF-FORWARD -m comment --comment "skiff forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A SKIFF-FORWARD -m comment --comment "skiff forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-X SKIFF-OLD
COMMIT
*nat
:SKIFF-SERVICES - [0:0]
:SKIFF-NODEPORTS - [0:0]
:SKIFF-POSTROUTING - [0:0]
:SKIFF-MARK-MASQ - [0:0]
:SKIFF-SVC-CDGGSHYLG3RE2FKL - [0:0]
:SKIFF-SEP-IV4V4L7CGKB7OJNB - [0:0]
:SKIFF-SEP-3FFZHM3ZKFPW3FKW - [0:0]
:SKIFF-SVC-2KKYJRIGYGQNRODB - [0:0]
:SKIFF-SEP-S2S5YXF6OXYOLVUK - [0:0]
:SKIFF-SVC-GONE - [0:0]
-A SKIFF-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A SKIFF-POSTROUTING -j MARK --xor-mark 0x4000
-A SKIFF-POSTROUTING -m comment --comment "skiff service traffic requiring SNAT" -j MASQUERADE --random-fully
-A SKIFF-MARK-MASQ -j MARK --or-mark 0x4000
-A SKIFF-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.43.0.10/32 --dport 80 -j SKIFF-SVC-CDGGSHYLG3RE2FKL
-A SKIFF-SERVICES -m comment --comment "kube-system/dns:dns cluster IP" -m udp -p udp -d 10.43.0.53/32 --dport 53 -j SKIFF-SVC-2KKYJRIGYGQNRODB
-A SKIFF-SERVICES -m comment --comment "skiff service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j SKIFF-NODEPORTS
-A SKIFF-NODEPORTS -m comment --comment "default/web:http" -m tcp -p tcp --dport 30080 -j SKIFF-MARK-MASQ
-A SKIFF-NODEPORTS -m comment --comment "default/web:http" -m tcp -p tcp --dport 30080 -j SKIFF-SVC-CDGGSHYLG3RE2FKL
-A SKIFF-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.43.0.10/32 --dport 80 -s 10.42.0.0/24 -j SKIFF-MARK-MASQ
-A SKIFF-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.42.0.5:8080" -m statistic --mode random --probability 0.5000000000 -j SKIFF-SEP-IV4V4L7CGKB7OJNB
-A SKIFF-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.42.0.10:8080" -j SKIFF-SEP-3FFZHM3ZKFPW3FKW
-A SKIFF-SEP-IV4V4L7CGKB7OJNB -m comment --comment "default/web:http" -s 10.42.0.5/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-IV4V4L7CGKB7OJNB -m comment --comment "default/web:http" -m tcp -p tcp -j DNAT --to-destination 10.42.0.5:8080
-A SKIFF-SEP-3FFZHM3ZKFPW3FKW -m comment --comment "default/web:http" -s 10.42.0.10/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-3FFZHM3ZKFPW3FKW -m comment --comment "default/web:http" -m tcp -p tcp -j DNAT --to-destination 10.42.0.10:8080
-A SKIFF-SVC-2KKYJRIGYGQNRODB -m comment --comment "kube-system/dns:dns cluster IP" -m udp -p udp -d 10.43.0.53/32 --dport 53 -s 10.42.0.0/24 -j SKIFF-MARK-MASQ
-A SKIFF-SVC-2KKYJRIGYGQNRODB -m comment --comment "kube-system/dns:dns -> 10.42.0.7:5353" -m recent --name SKIFF-SEP-S2S5YXF6OXYOLVUK --mask 255.255.255.255 --rsource --rcheck --seconds 60 --reap -j SKIFF-SEP-S2S5YXF6OXYOLVUK
-A SKIFF-SVC-2KKYJRIGYGQNRODB -m comment --comment "kube-system/dns:dns -> 10.42.0.7:5353" -j SKIFF-SEP-S2S5YXF6OXYOLVUK
-A SKIFF-SEP-S2S5YXF6OXYOLVUK -m comment --comment "kube-system/dns:dns" -s 10.42.0.7/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-S2S5YXF6OXYOLVUK -m comment --comment "kube-system/dns:dns" -m recent --set --name SKIFF-SEP-S2S5YXF6OXYOLVUK --mask 255.255.255.255 --rsource -m udp -p udp -j DNAT --to-destination 10.42.0.7:5353
-X SKIFF-SVC-GONE
COMMIT

"""#

    @Test func probabilitiesSplitEvenlyAndClusterCIDRMasqueradesOutsiders() {
        let endpoints = (1...3).map { Endpoint(ip: "10.42.0.\($0)", port: 80) }
        let port = ServicePort(name: "a/b", protocol: "TCP", clusterIP: "10.43.0.1", port: 80, endpoints: endpoints)
        let text = RuleSet.render([port], options: .init(clusterCIDR: "10.42.0.0/16"))
        #expect(text.contains("-A \(ChainName.service(port)) -m comment --comment \"a/b cluster IP\" -m tcp -p tcp -d 10.43.0.1/32 --dport 80 ! -s 10.42.0.0/16 -j SKIFF-MARK-MASQ\n"))
        #expect(text.contains("-m statistic --mode random --probability 0.3333333333 -j \(ChainName.endpoint(port, endpoints[0]))\n"))
        #expect(text.contains("-m statistic --mode random --probability 0.5000000000 -j \(ChainName.endpoint(port, endpoints[1]))\n"))
        #expect(text.contains("--comment \"a/b -> 10.42.0.3:80\" -j \(ChainName.endpoint(port, endpoints[2]))\n"))
        #expect(!text.contains("REJECT"))
    }

    @Test func externalIPsAreServedLikeTheClusterIPAndRejectedWithoutEndpoints() {
        let svc = Fixtures.parse("""
        {"metadata": {"namespace": "a", "name": "lb"},
         "spec": {"type": "LoadBalancer", "clusterIP": "10.43.0.5", "externalIPs": ["192.0.2.7", "fd00::1"],
                  "ports": [{"port": 443, "protocol": "TCP", "nodePort": 31443}]},
         "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.9"}, {"hostname": "lb.example"}, {"ip": "192.0.2.7"}]}}}
        """)
        var port = ServicePort.from(services: [svc], slices: [])[0]
        #expect(port.externalIPs == ["192.0.2.7", "198.51.100.9"])
        let rejected = RuleSet.render([port])
        #expect(rejected.contains("-A SKIFF-EXTERNAL-SERVICES -m comment --comment \"a/lb has no endpoints\" -m tcp -p tcp -d 198.51.100.9/32 --dport 443 -j REJECT\n"))
        port.endpoints = [Endpoint(ip: "10.42.0.2", port: 8443)]
        let svcChain = ChainName.service(port)
        let served = RuleSet.render([port])
        #expect(served.contains("""
        -A SKIFF-SERVICES -m comment --comment "a/lb external IP" -m tcp -p tcp -d 192.0.2.7/32 --dport 443 -j SKIFF-MARK-MASQ
        -A SKIFF-SERVICES -m comment --comment "a/lb external IP" -m tcp -p tcp -d 192.0.2.7/32 --dport 443 -j \(svcChain)

        """))
        #expect(!served.contains("REJECT"))
    }

    @Test func removalFlushesThenDeletesOnlySkiffsChains() {
        let text = RuleSet.removal(of: ["nat/SKIFF-SERVICES", "nat/SKIFF-SVC-A", "filter/SKIFF-FORWARD", "nat/KUBE-SERVICES"])
        #expect(text == """
        *filter
        :SKIFF-FORWARD - [0:0]
        -X SKIFF-FORWARD
        COMMIT
        *nat
        :SKIFF-SERVICES - [0:0]
        :SKIFF-SVC-A - [0:0]
        -X SKIFF-SERVICES
        -X SKIFF-SVC-A
        COMMIT

        """)
    }
}
