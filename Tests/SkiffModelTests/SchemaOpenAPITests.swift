import Testing
@testable import SkiffModel

@Suite struct SchemaPatchMetaTests {
    let schema = Schema.builtin

    @Test func podContainersMergeByName() throws {
        let spec = try #require(schema.fieldInfo(definition: "io.k8s.api.core.v1.Pod", field: "spec"))
        #expect(spec.definition == "io.k8s.api.core.v1.PodSpec")
        let podSpec = try #require(spec.elementSchema)
        let containers = try #require(schema.fieldInfo(in: podSpec, field: "containers"))
        #expect(containers.isList)
        #expect(containers.patchStrategy == "merge")
        #expect(containers.patchMergeKey == "name")
        #expect(containers.mergesByKey)
        #expect(containers.definition == "io.k8s.api.core.v1.Container")
        let container = try #require(containers.elementSchema)
        let ports = try #require(schema.fieldInfo(in: container, field: "ports"))
        #expect(ports.listType == "map")
        #expect(ports.listMapKeys == ["containerPort", "protocol"])
        #expect(ports.patchMergeKey == "containerPort")
    }

    @Test func mapsScalarsAndRetainKeys() throws {
        let meta = try #require(schema.fieldInfo(definition: "io.k8s.api.core.v1.Pod", field: "metadata"))
        let objectMeta = try #require(meta.elementSchema)
        let labels = try #require(schema.fieldInfo(in: objectMeta, field: "labels"))
        #expect(labels.isMap && !labels.isList && labels.patchStrategy == nil)
        #expect(labels.elementSchema == ["type": "string"])
        let strategy = try #require(schema.fieldInfo(definition: "io.k8s.api.apps.v1.DeploymentSpec", field: "strategy"))
        #expect(strategy.patchStrategies == ["retainKeys"])
        let finalizers = try #require(schema.fieldInfo(in: objectMeta, field: "finalizers"))
        #expect(finalizers.patchStrategy == "merge" && finalizers.patchMergeKey == nil && !finalizers.mergesByKey)
        #expect(schema.fieldInfo(definition: "io.k8s.api.core.v1.Pod", field: "bogus") == nil)
        #expect(schema.fieldInfo(definition: "no.such.Definition", field: "spec") == nil)
    }

    @Test func schemaPatchMetaWalksPodContainers() throws {
        let pod = try #require(schema.patchMeta(for: SchemaFixtures.podV1))
        let containers = try #require(pod.child("spec")?.child("containers"))
        #expect(containers.patchStrategies == ["merge"])
        #expect(containers.patchMergeKey == "name")
        #expect(containers.mergeStrategy == "merge")
        let env = try #require(containers.elements?.child("env"))
        #expect(env.patchMergeKey == "name")
        #expect(containers.elements?.child("image")?.patchStrategies == [])
        #expect(pod.child("metadata")?.child("labels")?.child("any-key") != nil)
        #expect(pod.child("metadata")?.child("finalizers")?.patchStrategies == ["merge"])
        #expect(pod.child("bogus") == nil)
        let strategy = try #require(schema.patchMeta(for: SchemaFixtures.deploymentV1)?.child("spec")?.child("strategy"))
        #expect(strategy.patchStrategies == ["retainKeys"])
    }
}

@Suite struct SchemaOpenAPITests {
    let schema = Schema.builtin
    let served = [
        ServedKind(group: "apps", version: "v1", kind: "Deployment", resource: "deployments", namespaced: true,
                   subresources: ["status", "scale"]),
        ServedKind(group: "apps", version: "v1beta1", kind: "Deployment", resource: "deployments", namespaced: true),
        ServedKind(version: "v1", kind: "Pod", resource: "pods", namespaced: true, subresources: ["status", "log", "exec", "binding"]),
        ServedKind(version: "v1", kind: "Namespace", resource: "namespaces", namespaced: false, subresources: ["finalize"]),
    ]

    @Test func v3DocumentDescribesDeploymentForKubectlExplain() throws {
        let docs = schema.openAPIV3(served: served)
        #expect(Set(docs.keys) == ["api/v1", "apis/apps/v1", "apis/apps/v1beta1"])
        let apps = try #require(docs["apis/apps/v1"])
        #expect(apps["openapi"] == "3.0.0")
        let deployment = try #require(apps["components", "schemas", "io.k8s.api.apps.v1.Deployment"])
        #expect(deployment["x-kubernetes-group-version-kind"] == [["group": "apps", "kind": "Deployment", "version": "v1"]])
        #expect(deployment["properties", "spec"] == ["allOf": [["$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"]]])
        #expect(apps["components", "schemas", "io.k8s.api.apps.v1.DeploymentSpec", "properties", "replicas", "type"] == "integer")
        #expect(apps["components", "schemas", "io.k8s.api.autoscaling.v1.Scale"] != nil)
        #expect(apps["components", "schemas", "io.k8s.api.core.v1.Pod"] == nil)
        // kubectl explain finds the GVK on an operation of the resource's path.
        let list = try #require(apps["paths", "/apis/apps/v1/namespaces/{namespace}/deployments", "get"])
        #expect(list["operationId"] == "listAppsV1NamespacedDeployment")
        #expect(list["x-kubernetes-group-version-kind"] == ["group": "apps", "kind": "Deployment", "version": "v1"])
        #expect(list["responses", "200", "content", "application/json", "schema", "$ref"] == "#/components/schemas/io.k8s.api.apps.v1.DeploymentList")
        // kubectl checks that PATCH takes fieldValidation before using server-side validation.
        let patch = try #require(apps["paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patch"])
        #expect(patch["parameters"]?.array?.contains { $0["name"] == "fieldValidation" } == true)
        #expect(patch["requestBody", "content", "application/strategic-merge-patch+json"] != nil)
        #expect(apps["paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "get", "x-kubernetes-group-version-kind", "group"] == "autoscaling")
        #expect(Schema.collectRefsForTest(apps).allSatisfy { $0.hasPrefix("#/components/schemas/") })
        let beta = try #require(docs["apis/apps/v1beta1"])
        #expect(beta["components", "schemas", "io.k8s.api.apps.v1beta1.Deployment", "x-kubernetes-group-version-kind"]
                == [["group": "apps", "kind": "Deployment", "version": "v1beta1"]])
    }

    @Test func v2DocumentAndPaths() throws {
        let v2 = schema.openAPIV2(served: served)
        #expect(v2["swagger"] == "2.0")
        #expect(v2["definitions", "io.k8s.api.apps.v1.Deployment", "properties", "spec", "$ref"] == "#/definitions/io.k8s.api.apps.v1.DeploymentSpec")
        #expect(v2["paths", "/api/v1/namespaces/{namespace}/pods/{name}/exec", "get", "operationId"] == "connectCoreV1GetNamespacedPodExec")
        #expect(v2["paths", "/api/v1/namespaces/{namespace}/pods/{name}/binding", "post", "x-kubernetes-group-version-kind", "kind"] == "Binding")
        #expect(v2["paths", "/api/v1/namespaces/{name}/finalize", "put", "operationId"] == "replaceCoreV1NamespaceFinalize")
        #expect(v2["paths", "/api/v1/namespaces", "post", "operationId"] == "createCoreV1Namespace")
        #expect(v2["paths", "/api/v1/pods", "get", "operationId"] == "listCoreV1PodForAllNamespaces")
        #expect(v2["paths", "/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}", "get", "x-kubernetes-action"] == "watch")
        #expect(v2["paths", "/apis/apps/v1/", "get", "operationId"] == "getAppsV1APIResources")
        // Every $ref resolves within the document.
        for ref in Schema.collectRefsForTest(v2) {
            #expect(v2["definitions", Schema.definitionName(ref: ref)] != nil, "dangling \(ref)")
        }
    }

    @Test func indexPointsAtHashedDocuments() throws {
        let docs = OpenAPIDocuments(served: served)
        let entry = try #require(docs.v3Index.json["paths", "apis/apps/v1", "serverRelativeURL"]?.string)
        let hash = try #require(docs.v3["apis/apps/v1"]?.hash)
        #expect(entry == "/openapi/v3/apis/apps/v1?hash=\(hash)")
        #expect(hash.count == 16)
        #expect(docs.v3Document(path: "/openapi/v3/apis/apps/v1")?.hash == hash)
        #expect(docs.v3Document(path: "api/v1") != nil)
        #expect(OpenAPIDocuments(served: served).v3["apis/apps/v1"]?.hash == hash)
        #expect(try JSON.parse(docs.v2.bytes) == docs.v2.json)
    }

    @Test func v2ProtobufStartsWithTheSwaggerVersion() {
        let docs = OpenAPIDocuments(served: Array(served.prefix(1)))
        // Field 1 (swagger), wire type 2, length 3, "2.0"; then field 2 (info).
        #expect(Array(docs.v2Protobuf.prefix(6)) == [0x0A, 0x03, 0x32, 0x2E, 0x30, 0x12])
        let text = String(decoding: docs.v2Protobuf, as: UTF8.self)
        #expect(text.contains("patchAppsV1NamespacedDeployment"))
        #expect(text.contains(#"[{"group":"apps","kind":"Deployment","version":"v1"}]"#))
    }
}

extension Schema {
    static func collectRefsForTest(_ json: JSON) -> [String] {
        var refs: [String] = []
        collectRefs(json, into: &refs)
        return refs
    }
}
