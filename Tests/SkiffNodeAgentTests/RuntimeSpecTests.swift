import SkiffModel
import Testing
@testable import SkiffNodeAgent

struct RuntimeSpecTests {
    let image = ImageConfig(entrypoint: ["/entry"], cmd: ["--default"], env: ["PATH=/img/bin", "A=1"], workingDir: "/app", user: "10:20")

    @Test func commandAndArgsMergeWithImageLikeKubernetes() {
        #expect(ContainerSpec.commandLine(command: nil, args: nil, image: image) == ["/entry", "--default"])
        #expect(ContainerSpec.commandLine(command: nil, args: ["x"], image: image) == ["/entry", "x"])
        #expect(ContainerSpec.commandLine(command: ["run"], args: nil, image: image) == ["run"])
        #expect(ContainerSpec.commandLine(command: ["run"], args: ["y"], image: image) == ["run", "y"])
    }

    func pod(_ containers: [JSON], securityContext: JSON = [:]) -> JSON {
        ["metadata": ["uid": "u1"], "spec": ["containers": .array(containers), "securityContext": securityContext]]
    }

    @Test func qosClasses() {
        #expect(QOSClass.of(pod: pod([["name": "a"]])) == .bestEffort)
        #expect(QOSClass.of(pod: pod([["name": "a", "resources": ["limits": ["cpu": "1", "memory": "1Gi"]]]])) == .guaranteed)
        #expect(QOSClass.of(pod: pod([["name": "a", "resources": ["requests": ["cpu": "1", "memory": "1Gi"], "limits": ["cpu": "1", "memory": "1Gi"]]]])) == .guaranteed)
        #expect(QOSClass.of(pod: pod([["name": "a", "resources": ["requests": ["cpu": "500m"], "limits": ["cpu": "1", "memory": "1Gi"]]]])) == .burstable)
        #expect(QOSClass.of(pod: pod([["name": "a", "resources": ["limits": ["cpu": "1", "memory": "1Gi"]]], ["name": "b"]])) == .burstable)
        let burst: JSON = ["name": "a", "resources": ["requests": ["memory": "1Gi"]]]
        #expect(QOSClass.burstable.oomScoreAdj(container: burst, nodeMemoryBytes: 4 << 30) == 750)
        #expect(QOSClass.burstable.oomScoreAdj(container: burst, nodeMemoryBytes: 1 << 30) == 2)
        #expect(QOSClass.bestEffort.oomScoreAdj(container: burst, nodeMemoryBytes: 1 << 30) == 1000)
    }

    @Test func resourcesBecomeCgroupSettings() {
        let r = Resources.cgroupSettings(for: ["resources": ["requests": ["cpu": "250m"], "limits": ["cpu": "1500m", "memory": "128Mi"]]])
        #expect(r.cpuShares == 256)
        #expect(r.cpuQuota == 150_000 && r.cpuPeriod == 100_000)
        #expect(r.memoryLimit == 128 << 20)
        let limitOnly = Resources.cgroupSettings(for: ["resources": ["limits": ["cpu": "2"]]])
        #expect(limitOnly.cpuShares == 2048)
        #expect(Resources.cgroupSettings(for: [:]).cpuShares == 2)
        #expect(Resources.cgroupSettings(for: ["resources": ["limits": ["cpu": "1m"]]]).cpuQuota == 1000)
    }

    @Test func capabilitiesAddAndDrop() {
        let c = Capabilities.resolve(add: ["NET_ADMIN"], drop: ["NET_RAW", "cap_kill"], privileged: false)
        #expect(c.contains("CAP_NET_ADMIN") && !c.contains("CAP_NET_RAW") && !c.contains("CAP_KILL") && c.contains("CAP_CHOWN"))
        #expect(Capabilities.resolve(add: ["NET_BIND_SERVICE"], drop: ["ALL"], privileged: false) == ["CAP_NET_BIND_SERVICE"])
        #expect(Capabilities.resolve(add: [], drop: ["ALL"], privileged: true) == Capabilities.all)
    }

    @Test func specFromPodContainer() throws {
        let p = pod([[
            "name": "app", "args": ["serve"], "workingDir": "/srv",
            "securityContext": ["runAsUser": 1000, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                "capabilities": ["drop": ["ALL"]]],
            "resources": ["limits": ["memory": "64Mi"]],
        ]], securityContext: ["runAsGroup": 3000, "seccompProfile": ["type": "RuntimeDefault"]])
        let s = try ContainerSpec.forPod(p, container: "app", image: image, env: [("A", "2"), ("B", "3")],
                                         infraPid: 42, nodeMemoryBytes: 1 << 30)
        #expect(s.args == ["/entry", "serve"])
        #expect(s.env == ["PATH=/img/bin", "A=2", "B=3"])
        #expect(s.workingDir == "/srv")
        #expect(s.uid == 1000 && s.gid == 3000)
        #expect(s.noNewPrivileges && s.readOnlyRootFilesystem && s.capabilities.isEmpty && s.seccompRuntimeDefault)
        #expect(s.cgroupsPath == "/skiff/podu1/app")
        #expect(s.oomScoreAdj == 1000 - 62)

        let config = OCIBundle.config(for: s, rootfs: "/r")
        #expect(config["root", "readonly"] == .bool(true))
        #expect(config["hostname"] == nil)
        let ns = config["linux", "namespaces"]?.array ?? []
        #expect(ns.contains(["type": "network", "path": "/proc/42/ns/net"]))
        #expect(ns.contains(["type": "uts", "path": "/proc/42/ns/uts"]))
        #expect(ns.contains(["type": "pid"]))
        #expect(config["linux", "resources", "memory", "limit"] == .int(64 << 20))
        #expect(config["linux", "seccomp", "defaultAction"] == "SCMP_ACT_ALLOW")
        #expect(config["process", "user", "uid"] == .int(1000))
        #expect(config["linux", "cgroupsPath"] == "/skiff/podu1/app")
    }

    @Test func imageUserAndMissingCommand() throws {
        let s = try ContainerSpec.forPod(pod([["name": "a"]]), container: "a", image: image, infraPid: nil, nodeMemoryBytes: 1 << 30)
        #expect(s.uid == 10 && s.gid == 20 && s.workingDir == "/app")
        #expect(throws: ContainerSpecError.self) {
            try ContainerSpec.forPod(pod([["name": "a"]]), container: "a", image: ImageConfig(), infraPid: nil, nodeMemoryBytes: 1)
        }
    }
}
