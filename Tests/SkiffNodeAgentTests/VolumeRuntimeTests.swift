import Foundation
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// Volume mounts reach a real container through runc: contents, subPath files, read-only.
@Suite(.enabled(if: RuntimeFixture.available, "\(RuntimeFixture.unavailable ?? "")"))
struct VolumeRuntimeTests {
    @Test func containerSeesItsVolumes() async throws {
        let v = try VolumeFixture()
        defer { v.cleanUp() }
        v.source.setConfigMap("app", data: ["a.conf": "A=1", "single.yaml": "one: 1"])
        v.source.setConfigMap("kube-root-ca.crt", data: ["ca.crt": "CA"])
        let c: JSON = ["name": "app", "volumeMounts": [
            ["name": "cfg", "mountPath": "/etc/app"],
            ["name": "cfg", "mountPath": "/etc/single.yaml", "subPath": "single.yaml"],
            ["name": "data", "mountPath": "/data"],
            ["name": "sa", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true],
        ]]
        let pod = v.pod(volumes: [
            ["name": "cfg", "configMap": ["name": "app"]], ["name": "data", "emptyDir": [:]],
            ["name": "sa", "projected": ["sources": [
                ["serviceAccountToken": ["path": "token"]],
                ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["fieldPath": "metadata.namespace"]]]]]]]],
        ], container: c)
        let volumes = try await v.manager.setUp(pod: pod)
        let mounts = try v.manager.mounts(pod: pod, container: c, volumes: volumes, env: [:])

        try await withFixture { f in
            var s = f.spec("vol", ["sh", "-c", """
                cat /etc/app/a.conf; echo; cat /etc/single.yaml; echo
                cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo
                cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo
                echo hi > /data/out && echo wrote
                (echo no > /etc/app/new) 2>/dev/null || echo cfg-ro
                """])
            s.mounts = mounts
            let (exit, _) = try await f.run(s)
            #expect(exit.exitCode == 0)
            #expect(f.messages("vol") == ["A=1", "one: 1", "token-1-default", "ns", "wrote", "cfg-ro"])
        }
        #expect(v.read(volumes["data"]! + "/out") == "hi\n")
    }
}
