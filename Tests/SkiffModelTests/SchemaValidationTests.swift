import Testing
@testable import SkiffModel

/// Shared inputs of the schema tests.
enum SchemaFixtures {
    /// The seed's `deployment-v1beta1.yaml`, as kubectl sends it (JSON).
    static let seedDeployment = """
{"apiVersion":"apps/v1beta1","kind":"Deployment","metadata":{"labels":{"app":"myapp"},"name":"myapp"},
 "spec":{"replicas":1,"template":{"metadata":{"labels":{"app":"myapp"}},"spec":{"containers":[
   {"envFrom":[{"secretRef":{"name":"mysecret"}}],"image":"myimage","name":"main"}],
   "serviceAccountName":"my-serviceaccount"}}}}
"""

    static let deploymentV1 = GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")
    static let podV1 = GroupVersionKind(group: "", version: "v1", kind: "Pod")
}

@Suite struct SchemaValidationTests {
    let schema = Schema.builtin

    @Test func embeddedDataParses() throws {
        let parsed = try JSON.parse(schemaJSON.utf8)
        #expect(parsed.members.count > 500)
    }

    @Test func looksUpKindsAndResolvesRefs() throws {
        #expect(schema.definitionName(for: SchemaFixtures.deploymentV1) == "io.k8s.api.apps.v1.Deployment")
        #expect(schema.definitionName(for: GroupVersionKind(group: "apps", version: "v1beta1", kind: "Deployment"))
                == "io.k8s.api.apps.v1beta1.Deployment")
        let spec = schema.resolve(schema.definition(for: SchemaFixtures.deploymentV1)?["properties", "spec"] ?? .null)
        #expect(spec["properties", "replicas", "format"] == "int32")
        #expect(schema.definition(named: "#/definitions/io.k8s.api.core.v1.Pod") != nil)
        #expect(schema.definition(named: "#/components/schemas/io.k8s.api.core.v1.Pod") != nil)
        #expect(schema.kinds.contains(SchemaFixtures.podV1))
    }

    @Test func seedManifestHasNoUnknownFieldsOrTypeErrors() throws {
        let object = try JSON.parse(SchemaFixtures.seedDeployment)
        let gvk = GroupVersionKind(apiVersion: "apps/v1beta1", kind: "Deployment")
        #expect(schema.unknownFields(in: object, gvk: gvk).isEmpty)
        #expect(schema.typeErrors(in: object, gvk: gvk).isEmpty)
        #expect(schema.decodeError(in: object, gvk: gvk) == nil)
    }

    @Test func findsUnknownFieldsAtNestedPaths() throws {
        let object = try JSON.parse("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","unknownMeta":1,"labels":{"any-key":"v"}},
         "spec":{"unknown1":"a","selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"annotations":{"k":"v"}},
           "spec":{"containers":[{"name":"a","image":"i"},{"name":"b","unknownNested":"v",
             "resources":{"limits":{"cpu":"1"}},"ports":[{"containerPort":80,"protocol":"TCP","bogus":true}]}]}}}}
        """)
        #expect(schema.unknownFields(in: object, gvk: SchemaFixtures.deploymentV1) == [
            "metadata.unknownMeta",
            "spec.template.spec.containers[1].ports[0].bogus",
            "spec.template.spec.containers[1].unknownNested",
            "spec.unknown1",
        ])
        #expect(schema.unknownFields(in: object, gvk: SchemaFixtures.deploymentV1, style: .apply) == [
            ".metadata.unknownMeta",
            #".spec.template.spec.containers[name="b"].ports[containerPort=80,protocol="TCP"].bogus"#,
            #".spec.template.spec.containers[name="b"].unknownNested"#,
            ".spec.unknown1",
        ])
    }

    @Test func mapsRawExtensionsAndIntOrStringAreNotFlagged() throws {
        let object = try JSON.parse("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":"b","c.d/e":"f"},"annotations":{"x":"y"},
          "managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{"f:anything":{}}}}]},
         "spec":{"nodeSelector":{"disk":"ssd"},"containers":[{"name":"c","resources":{"requests":{"memory":"1Gi","cpu":2}},
           "livenessProbe":{"httpGet":{"port":"http","path":"/"}},"readinessProbe":{"tcpSocket":{"port":8080}}}]}}
        """)
        #expect(schema.unknownFields(in: object, gvk: SchemaFixtures.podV1).isEmpty)
        #expect(schema.typeErrors(in: object, gvk: SchemaFixtures.podV1).isEmpty)
        let revision = try JSON.parse(#"{"apiVersion":"apps/v1","kind":"ControllerRevision","revision":1,"data":{"spec":{"whatever":1}}}"#)
        #expect(schema.unknownFields(in: revision, gvk: GroupVersionKind(group: "apps", version: "v1", kind: "ControllerRevision")).isEmpty)
    }

    @Test func preserveUnknownFieldsAndEmbeddedResources() throws {
        let crd: JSON = [
            "type": "object", "x-kubernetes-embedded-resource": true,
            "properties": [
                "spec": ["type": "object", "properties": [
                    "known": ["type": "string"],
                    "free": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                    "embedded": ["type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true],
                    "count": ["x-kubernetes-int-or-string": true],
                ]],
            ],
        ]
        let object = try JSON.parse("""
        {"apiVersion":"example.com/v1","kind":"Thing","metadata":{"name":"t","bogusMeta":1},
         "spec":{"known":"k","other":1,"free":{"a":{"b":1}},"count":"50%",
           "embedded":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","unknownEmbeddedMeta":1},"data":{"x":"y"}}}}
        """)
        #expect(schema.unknownFields(in: object, schema: crd) == [
            "metadata.bogusMeta", "spec.embedded.metadata.unknownEmbeddedMeta", "spec.other",
        ])
    }

    @Test func customResourceDefinitionsAreCheckedLikeBuiltins() throws {
        let defs = Schema.customResourceDefinitions(group: "stable.example.com", version: "v1", kind: "CronTab", openAPIV3Schema: [
            "type": "object",
            "properties": ["spec": ["type": "object", "properties": ["cronSpec": ["type": "string"], "replicas": ["type": "integer"]]]],
        ])
        #expect(Set(defs.keys) == ["com.example.stable.v1.CronTab", "com.example.stable.v1.CronTabList"])
        let extended = schema.adding(definitions: defs)
        let object = try JSON.parse(#"{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a","bogus":1},"spec":{"cronSpec":"* * * * */5","replicas":"x","image":"i"}}"#)
        let gvk = try #require(GroupVersionKind(object: object))
        #expect(extended.unknownFields(in: object, gvk: gvk) == ["metadata.bogus", "spec.image"])
        #expect(extended.typeErrors(in: object, gvk: gvk).map(\.field) == ["spec.replicas"])
        let docs = extended.openAPIV3(served: [ServedKind(group: "stable.example.com", version: "v1", kind: "CronTab", resource: "crontabs", namespaced: true)])
        #expect(docs["apis/stable.example.com/v1"]?["components", "schemas", "com.example.stable.v1.CronTabList"] != nil)
    }

    @Test func messagesUseKubernetesWording() {
        #expect(Schema.unknownFieldWarning("spec.foo") == #"unknown field "spec.foo""#)
        let error = Schema.strictDecodingError(gvk: SchemaFixtures.deploymentV1, unknownFields: ["spec.foo", "spec.bar"])
        #expect(error.code == 400 && error.reason == "BadRequest")
        #expect(error.message == #"Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar""#)
        #expect(Schema.applyUnknownFieldsMessage([".spec.foo"]) == ".spec.foo: field not declared in schema")
        #expect(Schema.applyUnknownFieldsMessage([".a", ".b"]) == "errors:\n  .a: field not declared in schema\n  .b: field not declared in schema")
    }
}
