import SkiffModel
import Testing
@testable import SkiffProxy

@Suite struct ServicePortTests {
    @Test(arguments: [
        // Chain names kube-proxy gives the well-known Services on every cluster.
        ("default/kubernetes:https", "TCP", "NPX46M4PTMTKRN6Y"),
        ("kube-system/kube-dns:dns", "UDP", "TCOU7JCQXEZGVUNU"),
        ("kube-system/kube-dns:dns-tcp", "TCP", "ERIFXISQEP7F7OF4"),
        ("kube-system/kube-dns:metrics", "TCP", "JD5MR3NA4I4DYORP"),
    ])
    func chainNamesAreKubeProxys(name: String, proto: String, hash: String) {
        let port = ServicePort(name: name, protocol: proto, clusterIP: "10.96.0.1", port: 443, endpoints: [])
        #expect(ChainName.service(port) == "SKIFF-SVC-" + hash)
    }

    @Test func portsCarryOnlyReadyIPv4EndpointsOfTheirOwnSlices() {
        let ports = ServicePort.from(services: Fixtures.services, slices: Fixtures.slices)
        #expect(ports.map(\.name) == ["default/empty", "default/web:http", "kube-system/dns:dns"])
        let web = ports[1]
        #expect(web.protocol == "TCP" && web.clusterIP == "10.43.0.10" && web.port == 80 && web.nodePort == 30080)
        // 10.42.0.6 is not ready; 10.42.0.5 is in two slices; no conditions means ready.
        #expect(web.endpoints == [Endpoint(ip: "10.42.0.5", port: 8080), Endpoint(ip: "10.42.0.10", port: 8080)])
        #expect(web.affinitySeconds == nil)
        let dns = ports[2]
        #expect(dns.protocol == "UDP" && dns.affinitySeconds == 60 && dns.endpoints == [Endpoint(ip: "10.42.0.7", port: 5353)])
        #expect(ports[0].protocol == "SCTP" && ports[0].endpoints.isEmpty && ports[0].nodePort == 30900)
    }

    @Test func affinityWithoutTimeoutDefaultsToThreeHours() {
        let svc = Fixtures.parse("""
        {"metadata": {"namespace": "a", "name": "b"},
         "spec": {"clusterIP": "10.43.0.9", "sessionAffinity": "ClientIP", "ports": [{"port": 1}]}}
        """)
        let ports = ServicePort.from(services: [svc], slices: [])
        #expect(ports.count == 1 && ports[0].affinitySeconds == 10800 && ports[0].protocol == "TCP" && ports[0].name == "a/b")
    }

    @Test func slicesOfOtherPortsOrFamiliesAreIgnored() {
        let svc = Fixtures.parse("""
        {"metadata": {"namespace": "a", "name": "b"}, "spec": {"clusterIP": "10.43.0.9", "ports": [{"name": "x", "port": 1}]}}
        """)
        let slices = [Fixtures.parse("""
        {"metadata": {"namespace": "a", "name": "b-1", "labels": {"kubernetes.io/service-name": "b"}}, "addressType": "IPv6",
         "ports": [{"name": "x", "port": 2, "protocol": "TCP"}], "endpoints": [{"addresses": ["fd00::1"]}]}
        """), Fixtures.parse("""
        {"metadata": {"namespace": "a", "name": "b-2", "labels": {"kubernetes.io/service-name": "b"}}, "addressType": "IPv4",
         "ports": [{"name": "y", "port": 2, "protocol": "TCP"}], "endpoints": [{"addresses": ["10.0.0.1"]}]}
        """), Fixtures.parse("""
        {"metadata": {"namespace": "other", "name": "b-3", "labels": {"kubernetes.io/service-name": "b"}}, "addressType": "IPv4",
         "ports": [{"name": "x", "port": 2, "protocol": "TCP"}], "endpoints": [{"addresses": ["10.0.0.2"]}]}
        """)]
        #expect(ServicePort.from(services: [svc], slices: slices).first?.endpoints == [])
    }
}
