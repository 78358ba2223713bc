import SkiffModel
import Testing
@testable import SkiffNodeAgent

struct AgentContainerIDTests {
    @Test func roundTrips() throws {
        let id = ContainerID(podUID: "0b7c5a1e-1d2f-4e5a-9b8c-7d6e5f4a3b2c", container: "web-server", attempt: 12)
        #expect(id.description == "0b7c5a1e-1d2f-4e5a-9b8c-7d6e5f4a3b2c_web-server_12")
        #expect(ContainerID(id.description) == id)
    }

    @Test(arguments: ["", "abc", "a_b", "a_b_c", "a__1", "_b_1", "a_b_-1", "a_b_01", "a_b_1_2", "skiff-test-container"])
    func rejectsOtherIDs(_ text: String) {
        #expect(ContainerID(text) == nil)
    }
}

struct AgentBackoffTests {
    @Test func restartsAtOnceThenDoublesFromTenSecondsToFiveMinutes() {
        var b = CrashBackoff()
        let waits = (0..<9).map { _ in b.exited(ranFor: 1) }
        #expect(waits == [0, 10, 20, 40, 80, 160, 300, 300, 300])
    }

    @Test func resetsAfterTenMinutesRunning() {
        var b = CrashBackoff()
        _ = b.exited(ranFor: 1)
        _ = b.exited(ranFor: 1)
        #expect(b.exited(ranFor: 599) == 20)
        #expect(b.exited(ranFor: 600) == 0)
        #expect(b.exited(ranFor: 1) == 10)
    }
}

struct AgentEnvTests {
    let pod: JSON = [
        "metadata": ["name": "web-1", "namespace": "shop", "uid": "u-1", "labels": ["app": "web", "tier": "front"],
                     "annotations": ["note": "x"]],
        "spec": ["nodeName": "node-a", "serviceAccountName": "builder"],
        "status": ["podIP": "10.0.0.5", "hostIP": "192.168.1.2"],
    ]

    func resolve(_ container: JSON, _ sources: EnvSources = EnvSources()) throws -> [String] {
        try EnvResolver.resolve(pod: pod, container: container, sources: sources,
                                nodeAllocatable: ["cpu": try Quantity("4"), "memory": try Quantity("8Gi")])
            .map { "\($0.0)=\($0.1)" }
    }

    @Test func envFromSecretThenEnvOverridesInOrder() throws {
        let sources = EnvSources(configMaps: ["cfg": ["MODE": "prod", "LEVEL": "3"]], secrets: ["mysecret": ["token": "s3cr3t"]])
        let c: JSON = [
            "envFrom": [["secretRef": ["name": "mysecret"]], ["configMapRef": ["name": "cfg"], "prefix": "CFG_"]],
            "env": [["name": "token", "value": "override"], ["name": "B", "value": "$(CFG_MODE)-$(token)"]],
        ]
        #expect(try resolve(c, sources) == ["token=override", "CFG_LEVEL=3", "CFG_MODE=prod", "B=prod-override"])
    }

    @Test func missingSourcesFailUnlessOptional() throws {
        #expect(throws: EnvError("secret \"nope\" not found")) { try resolve(["envFrom": [["secretRef": ["name": "nope"]]]]) }
        #expect(try resolve(["envFrom": [["secretRef": ["name": "nope", "optional": true]]]]) == [])
        let sources = EnvSources(configMaps: ["cfg": ["a": "1"]])
        let missingKey: JSON = ["env": [["name": "X", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "b"]]]]]
        #expect(throws: EnvError("couldn't find key b in ConfigMap shop/cfg")) { try resolve(missingKey, sources) }
        let optionalKey: JSON = ["env": [["name": "X", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "b", "optional": true]]]]]
        #expect(try resolve(optionalKey, sources) == [])
        let secretKey: JSON = ["env": [["name": "T", "valueFrom": ["secretKeyRef": ["name": "s", "key": "k"]]]]]
        #expect(try resolve(secretKey, EnvSources(secrets: ["s": ["k": "v"]])) == ["T=v"])
    }

    @Test func downwardAPIFields() throws {
        func field(_ path: String) -> JSON { ["name": "V", "valueFrom": ["fieldRef": ["fieldPath": .string(path)]]] }
        let cases: [(String, String)] = [
            ("metadata.name", "web-1"), ("metadata.namespace", "shop"), ("metadata.uid", "u-1"),
            ("metadata.labels['tier']", "front"), ("metadata.annotations['note']", "x"),
            ("metadata.labels", "app=\"web\"\ntier=\"front\""),
            ("spec.nodeName", "node-a"), ("spec.serviceAccountName", "builder"),
            ("status.podIP", "10.0.0.5"), ("status.hostIP", "192.168.1.2"),
        ]
        for (path, want) in cases {
            #expect(try resolve(["env": [field(path)]]) == ["V=\(want)"], "\(path)")
        }
        #expect(throws: EnvError("unsupported fieldPath: spec.bogus")) { try resolve(["env": [field("spec.bogus")]]) }
    }

    @Test func resourceFieldRefRoundsUpAndDefaultsToAllocatable() throws {
        let c: JSON = [
            "resources": ["limits": ["memory": "64Mi"], "requests": ["cpu": "250m"]],
            "env": [
                ["name": "MEM", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "1Mi"]]],
                ["name": "CPU", "valueFrom": ["resourceFieldRef": ["resource": "requests.cpu"]]],
                ["name": "CPUM", "valueFrom": ["resourceFieldRef": ["resource": "requests.cpu", "divisor": "1m"]]],
                ["name": "LCPU", "valueFrom": ["resourceFieldRef": ["resource": "limits.cpu"]]],
            ],
        ]
        #expect(try resolve(c) == ["MEM=64", "CPU=1", "CPUM=250", "LCPU=4"])
    }

    @Test(arguments: [
        ("$(A)", "1"), ("x$(A)y$(B)", "x1y2"), ("$$(A)", "$(A)"), ("$(NOPE)", "$(NOPE)"), ("$A", "$A"),
        ("$(A", "$(A"), ("$", "$"), ("$$", "$"), ("a$(A)$$b", "a1$b"),
    ])
    func expansion(_ input: String, _ want: String) {
        #expect(EnvResolver.expand(input) { ["A": "1", "B": "2"][$0] } == want)
    }
}

struct AgentResolvConfTests {
    let host = "# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch corp.example\noptions edns0\n"

    @Test func clusterFirstUsesClusterDNS() {
        let pod: JSON = ["metadata": ["namespace": "shop"], "spec": [:]]
        let r = ResolvConf.forPod(pod, clusterDNS: ["10.96.0.10"], clusterDomain: "cluster.local", host: host)
        #expect(r.text == "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n")
        #expect(!r.missingClusterDNS)
    }

    @Test func withoutClusterDNSFallsBackToTheHost() {
        let r = ResolvConf.forPod(["spec": [:]], clusterDNS: [], clusterDomain: "cluster.local", host: host)
        #expect(r.missingClusterDNS)
        #expect(r.nameservers == ["10.0.0.2", "10.0.0.3"] && r.searches == ["corp.example"] && r.options == ["edns0"])
        let hostNet = ResolvConf.forPod(["spec": ["hostNetwork": true]], clusterDNS: ["10.96.0.10"], clusterDomain: "c", host: host)
        #expect(hostNet.nameservers == ["10.0.0.2", "10.0.0.3"] && !hostNet.missingClusterDNS)
    }

    @Test func noneTakesDNSConfigOnly() {
        let pod: JSON = ["spec": ["dnsPolicy": "None", "dnsConfig": [
            "nameservers": ["1.1.1.1"], "searches": ["a.example"],
            "options": [["name": "ndots", "value": "2"], ["name": "edns0"]]]]]
        let r = ResolvConf.forPod(pod, clusterDNS: ["10.96.0.10"], clusterDomain: "cluster.local", host: host)
        #expect(r.text == "search a.example\nnameserver 1.1.1.1\noptions ndots:2 edns0\n")
    }
}
