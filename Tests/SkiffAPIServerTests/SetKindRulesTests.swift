import Testing
import SkiffModel
@testable import SkiffAPIServer

/// StatefulSet and DaemonSet defaults, validation and the DaemonSet template generation.
@Suite(.timeLimit(.minutes(1))) struct SetKindRulesTests {
    static func statefulSet(_ spec: JSON = [:]) -> JSON {
        var s: JSON = ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": "web", "namespace": "default"],
                       "spec": ["serviceName": "web", "selector": ["matchLabels": ["app": "web"]],
                                "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "busybox"]]]]]]
        for (k, v) in spec.members { s["spec", k] = v }
        return s
    }

    static func daemonSet(_ spec: JSON = [:]) -> JSON {
        var d: JSON = ["apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "agent", "namespace": "default"],
                       "spec": ["selector": ["matchLabels": ["app": "agent"]],
                                "template": ["metadata": ["labels": ["app": "agent"]], "spec": ["containers": [["name": "c", "image": "busybox"]]]]]]
        for (k, v) in spec.members { d["spec", k] = v }
        return d
    }

    @Test func statefulSetDefaults() async throws {
        try await StoreFixture.with { f in
            let s = try await f.create(f.type("apps", "statefulsets"), Self.statefulSet([
                "updateStrategy": ["type": "RollingUpdate"], "persistentVolumeClaimRetentionPolicy": ["whenScaled": "Delete"],
                "volumeClaimTemplates": [["metadata": ["name": "www"],
                                          "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]]]))
            let claim = try #require(s["spec", "volumeClaimTemplates"]?.array?.first)
            #expect(claim["apiVersion"] == "v1" && claim["kind"] == "PersistentVolumeClaim")
            #expect(claim["spec", "volumeMode"] == "Filesystem" && claim["status"] == ["phase": "Pending"])
            #expect(s["spec", "replicas"] == 1 && s["spec", "podManagementPolicy"] == "OrderedReady" && s["spec", "revisionHistoryLimit"] == 10)
            #expect(s["spec", "updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]])
            #expect(s["spec", "persistentVolumeClaimRetentionPolicy"] == ["whenDeleted": "Retain", "whenScaled": "Delete"])
        }
    }

    @Test func daemonSetDefaultsAndTemplateGeneration() async throws {
        try await StoreFixture.with { f in
            let type = f.type("apps", "daemonsets")
            var d = try await f.create(type, Self.daemonSet())
            #expect(d["spec", "replicas"] == nil && d["spec", "revisionHistoryLimit"] == 10)
            #expect(d["spec", "updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]])
            #expect(d["metadata", "annotations", "deprecated.daemonset.template.generation"] == "1")
            d["spec", "minReadySeconds"] = 5
            d = try await f.update(type, d)
            #expect(d["metadata", "annotations", "deprecated.daemonset.template.generation"] == "1")
            #expect(d["metadata", "generation"] == 2)
            d["spec", "template", "spec", "containers"] = [["name": "c", "image": "busybox:2"]]
            d["metadata", "annotations", "deprecated.daemonset.template.generation"] = "9"  // not the client's to set
            d = try await f.update(type, d)
            #expect(d["metadata", "annotations", "deprecated.daemonset.template.generation"] == "2")
            #expect(d["metadata", "generation"] == 3)
        }
    }

    static let invalidStatefulSets: [(JSON, String, String)] = [
        (["podManagementPolicy": "Sometimes"], "spec.podManagementPolicy", #"Unsupported value: "Sometimes""#),
        (["selector": ["matchLabels": [:]]], "spec.selector", "empty selector is invalid for statefulset"),
        (["serviceName": "Web.Service"], "spec.serviceName", "a lowercase RFC 1123 label must consist of"),
        (["updateStrategy": ["type": "Later"]], "spec.updateStrategy.type", #"Unsupported value: "Later""#),
        (["updateStrategy": ["type": "OnDelete", "rollingUpdate": ["partition": 1]]], "spec.updateStrategy.rollingUpdate",
         "only allowed for updateStrategy 'RollingUpdate'"),
        (["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": -1]]], "spec.updateStrategy.rollingUpdate.partition",
         "must be greater than or equal to 0"),
        (["persistentVolumeClaimRetentionPolicy": ["whenDeleted": "Keep"]], "spec.persistentVolumeClaimRetentionPolicy.whenDeleted",
         #"Unsupported value: "Keep""#),
        (["volumeClaimTemplates": [["metadata": ["name": "www"], "spec": ["resources": ["requests": ["storage": "1Gi"]]]]]],
         "spec.volumeClaimTemplates[0].spec.accessModes", "at least 1 access mode is required"),
    ]

    @Test(arguments: invalidStatefulSets.indices)
    func statefulSetValidation(index: Int) async throws {
        let (spec, field, detail) = Self.invalidStatefulSets[index]
        try await StoreFixture.with { f in
            let error = await apiError { _ = try await f.create(f.type("apps", "statefulsets"), Self.statefulSet(spec)) }
            #expect(error?.code == 422)
            #expect(error?.details?.causes.contains { $0.field == field } == true, "\(field)")
            #expect(error?.message.contains(detail) == true, "\(error?.message ?? "")")
        }
    }

    @Test func statefulSetSpecBeyondTheMutableFieldsIsForbidden() async throws {
        try await StoreFixture.with { f in
            let type = f.type("apps", "statefulsets")
            var s = try await f.create(type, Self.statefulSet())
            s["spec", "replicas"] = 3
            s["spec", "updateStrategy"] = ["type": "OnDelete"]
            s = try await f.update(type, s)
            s["spec", "serviceName"] = "other"
            let error = await apiError { _ = try await f.update(type, s) }
            #expect(error?.code == 422)
            #expect(error?.message.contains("updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden") == true)
        }
    }

    static let invalidDaemonSets: [(JSON, String, String)] = [
        (["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 0, "maxSurge": 0]]],
         "spec.updateStrategy.rollingUpdate.maxUnavailable", "cannot be 0 when maxSurge is 0"),
        (["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 1]]],
         "spec.updateStrategy.rollingUpdate.maxSurge", "may not be set when maxUnavailable is non-zero"),
        (["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "150%"]]],
         "spec.updateStrategy.rollingUpdate.maxUnavailable", "must not be greater than 100%"),
        (["updateStrategy": ["type": "Sometimes"]], "spec.updateStrategy.type", #"Unsupported value: "Sometimes""#),
        (["minReadySeconds": -1], "spec.minReadySeconds", "must be greater than or equal to 0"),
        (["selector": ["matchLabels": [:]]], "spec.selector", "empty selector is invalid for daemonset"),
    ]

    @Test(arguments: invalidDaemonSets.indices)
    func daemonSetValidation(index: Int) async throws {
        let (spec, field, detail) = Self.invalidDaemonSets[index]
        try await StoreFixture.with { f in
            let error = await apiError { _ = try await f.create(f.type("apps", "daemonsets"), Self.daemonSet(spec)) }
            #expect(error?.code == 422)
            #expect(error?.details?.causes.contains { $0.field == field } == true, "\(field)")
            #expect(error?.message.contains(detail) == true, "\(error?.message ?? "")")
        }
    }
}
