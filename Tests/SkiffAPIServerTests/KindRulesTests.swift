import Testing
import SkiffModel
@testable import SkiffAPIServer

/// Pod and Deployment validation through the store, with Kubernetes' messages.
@Suite(.timeLimit(.minutes(1))) struct KindRulesTests {
    static let podSpecMessage = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

    /// Edits a created Pod's spec may not make.
    static let forbiddenPodEdits: [(String, @Sendable (inout JSON) -> Void)] = [
        ("restartPolicy", { $0["spec", "restartPolicy"] = "Never" }),
        ("container name", { $0["spec", "containers"] = [["name": "other", "image": "nginx:1.25"]] }),
        ("added container", { $0["spec", "containers"] = [["name": "main", "image": "nginx:1.25"], ["name": "side", "image": "busybox"]] }),
        ("container env", { $0["spec", "containers"] = [["name": "main", "image": "nginx:1.25", "env": [["name": "A", "value": "1"]]]] }),
        ("nodeSelector", { $0["spec", "nodeSelector"] = ["disk": "ssd"] }),
        ("removed toleration", { $0["spec", "tolerations"] = [] }),
    ]

    @Test(arguments: forbiddenPodEdits.indices)
    func podSpecIsImmutable(index: Int) async throws {
        let (what, edit) = Self.forbiddenPodEdits[index]
        try await StoreFixture.with { f in
            var pod = try await f.create(f.pods, Fixtures.pod("p"))
            edit(&pod)
            let error = await apiError { try await f.update(f.pods, pod) }
            #expect(error?.code == 422, "\(what)")
            #expect(error?.message.hasPrefix(#"Pod "p" is invalid: spec: Forbidden: "#) == true, "\(what)")
            #expect(error?.message.contains(Self.podSpecMessage) == true, "\(what)")
            #expect(error?.details?.causes.first?.field == "spec")
        }
    }

    @Test func podImageActiveDeadlineAndNewTolerationsMayChange() async throws {
        try await StoreFixture.with { f in
            var pod = try await f.create(f.pods, Fixtures.pod("p"))
            let rv = pod["metadata", "resourceVersion"]
            pod["spec", "containers"] = [
                .object((pod["spec", "containers"]?.array?[0].members ?? [:]).merging(["image": "nginx:1.26"]) { $1 })
            ]
            pod["spec", "activeDeadlineSeconds"] = 600
            var tolerations = pod["spec", "tolerations"]?.array ?? []
            tolerations.append(["key": "dedicated", "operator": "Exists", "effect": "NoSchedule"])
            pod["spec", "tolerations"] = .array(tolerations)
            let updated = try await f.update(f.pods, pod)
            #expect(updated["spec", "containers", "0"] == nil)
            #expect(updated["spec", "containers"]?.array?.first?["image"] == "nginx:1.26")
            #expect(updated["spec", "activeDeadlineSeconds"] == 600)
            #expect(updated["metadata", "resourceVersion"] != rv)
            // A Pod's spec changes do not make a generation (Pods do not track it here).
            #expect(updated["status", "phase"] == "Pending")
        }
    }

    @Test func podMetadataMayChange() async throws {
        try await StoreFixture.with { f in
            var pod = try await f.create(f.pods, Fixtures.pod("p"))
            pod["metadata", "labels"] = ["app": "web"]
            pod["metadata", "annotations"] = ["note": "hello"]
            let updated = try await f.update(f.pods, pod)
            #expect(updated["metadata", "labels"] == ["app": "web"])
        }
    }

    @Test func deploymentSelectorIsRequired() async throws {
        try await StoreFixture.with { f in
            let error = await apiError { try await f.create(f.deployments, Fixtures.deployment("web", selector: nil)) }
            #expect(error?.code == 422)
            #expect(error?.message == #"Deployment.apps "web" is invalid: spec.selector: Required value"#)
            #expect(error?.details?.group == "apps")
            #expect(error?.details?.kind == "Deployment")
        }
    }

    @Test func deploymentSelectorMustMatchTemplateLabels() async throws {
        try await StoreFixture.with { f in
            let error = await apiError {
                try await f.create(f.deployments, Fixtures.deployment("web", selector: ["app": "web"], labels: ["app": "api"]))
            }
            #expect(error?.code == 422)
            #expect(error?.message.hasPrefix(#"Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: "#) == true)
            #expect(error?.message.hasSuffix("`selector` does not match template `labels`") == true)
            #expect(error?.details?.causes.map(\.field) == ["spec.template.metadata.labels"])
        }
    }

    @Test func deploymentEmptySelectorIsInvalid() async throws {
        try await StoreFixture.with { f in
            let error = await apiError { try await f.create(f.deployments, Fixtures.deployment("web", selector: [:])) }
            #expect(error?.code == 422)
            #expect(error?.message.hasSuffix("empty selector is invalid for deployment") == true)
        }
    }

    @Test func deploymentSelectorIsImmutable() async throws {
        try await StoreFixture.with { f in
            var d = try await f.create(f.deployments, Fixtures.deployment("web", selector: ["app": "web"], labels: ["app": "web", "tier": "front"]))
            d["spec", "selector"] = ["matchLabels": ["app": "web", "tier": "front"]]
            let error = await apiError { try await f.update(f.deployments, d) }
            #expect(error?.code == 422)
            #expect(error?.message.hasPrefix(#"Deployment.apps "web" is invalid: spec.selector: Invalid value: "#) == true)
            #expect(error?.message.hasSuffix("field is immutable") == true)
            #expect(try await f.get(f.deployments, "default", "web")["spec", "selector"] == ["matchLabels": ["app": "web"]])
        }
    }

    @Test func deploymentTemplateMustRestartAlways() async throws {
        try await StoreFixture.with { f in
            var d = Fixtures.deployment("web")
            d["spec", "template", "spec", "restartPolicy"] = "Never"
            let error = await apiError { try await f.create(f.deployments, d) }
            #expect(error?.message == #"Deployment.apps "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#)
        }
    }

    @Test func podNeedsContainersWithImages() async throws {
        try await StoreFixture.with { f in
            var pod = Fixtures.pod("p")
            pod["spec", "containers"] = [["name": "main"]]
            let error = await apiError { try await f.create(f.pods, pod) }
            #expect(error?.message == #"Pod "p" is invalid: spec.containers[0].image: Required value"#)
        }
    }
}
