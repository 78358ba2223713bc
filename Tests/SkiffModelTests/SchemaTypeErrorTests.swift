import Testing
@testable import SkiffModel

@Suite struct SchemaTypeErrorTests {
    let schema = Schema.builtin

    @Test func stringWhereIntegerBelongs() throws {
        let object = try JSON.parse(#"{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":"3"}}"#)
        let errors = schema.typeErrors(in: object, gvk: SchemaFixtures.deploymentV1)
        #expect(errors.count == 1)
        #expect(errors.first?.field == "spec.replicas")
        #expect(errors.first?.description == #"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#)
        let error = schema.decodeError(in: object, gvk: SchemaFixtures.deploymentV1)
        #expect(error?.code == 400)
        #expect(error?.message == #"Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"#)
    }

    @Test func goMessagesDropIndicesAndNameTheInnermostStruct() throws {
        let object = try JSON.parse("""
        {"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"A","value":1}]}]}}}}
        """)
        #expect(schema.typeErrors(in: object, gvk: SchemaFixtures.deploymentV1).map(\.field) == ["spec.template.spec.containers[0].env[0].value"])
        #expect(schema.decodeError(in: object, gvk: SchemaFixtures.deploymentV1)?.message ==
                #"Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string"#)
    }

    @Test func wrongShapesNameTheGoType() throws {
        let pull = try JSON.parse(#"{"spec":{"imagePullSecrets":["regcred"],"containers":"c"}}"#)
        let messages = schema.typeErrors(in: pull, gvk: SchemaFixtures.podV1).map(\.field)
        #expect(messages == ["spec.containers", "spec.imagePullSecrets[0]"])
        let first = schema.typeMismatches(in: pull, schema: ["$ref": "io.k8s.api.core.v1.Pod"]).map(Schema.goDecodeMessage)
        #expect(first == [
            "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container",
            "json: cannot unmarshal string into Go struct field PodSpec.spec.imagePullSecrets of type v1.LocalObjectReference",
        ])
        let labels = try JSON.parse(#"{"metadata":{"labels":{"a":true}}}"#)
        #expect(schema.decodeError(in: labels, gvk: SchemaFixtures.podV1)?.message.hasSuffix(
            "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string") == true)
    }

    @Test func integersMustFitTheirFormat() throws {
        let object = try JSON.parse(#"{"spec":{"replicas":1.5,"minReadySeconds":3000000000,"revisionHistoryLimit":2.0}}"#)
        let mismatches = schema.typeMismatches(in: object, schema: ["$ref": "io.k8s.api.apps.v1.Deployment"])
        #expect(mismatches.map(\.goValue) == ["number 3000000000", "number 1.5"])
    }

    @Test func quantitiesAndIntOrString() throws {
        let object = try JSON.parse("""
        {"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"abc","memory":"1Gi","x":true,"y":"1Gii"}},
          "ports":[{"containerPort":80}],"livenessProbe":{"httpGet":{"port":true}}}]}}
        """)
        let errors = schema.typeErrors(in: object, gvk: SchemaFixtures.podV1)
        #expect(errors.map(\.field) == [
            "spec.containers[0].livenessProbe.httpGet.port",
            "spec.containers[0].resources.limits.cpu",
            "spec.containers[0].resources.limits.x",
            "spec.containers[0].resources.limits.y",
        ])
        #expect(errors[1].detail.hasPrefix("quantities must match the regular expression"))
        #expect(errors[3].detail == "unable to parse quantity's suffix")
        #expect(schema.decodeError(in: object, gvk: SchemaFixtures.podV1)?.message ==
                #"Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct field HTTPGetAction.spec.containers.livenessProbe.httpGet.port of type int32"#)
    }

    @Test func nullIsAcceptedAnywhere() throws {
        let object = try JSON.parse(#"{"metadata":null,"spec":{"replicas":null,"template":{"spec":{"containers":null}}}}"#)
        #expect(schema.typeErrors(in: object, gvk: SchemaFixtures.deploymentV1).isEmpty)
        #expect(schema.unknownFields(in: object, gvk: SchemaFixtures.deploymentV1).isEmpty)
    }
}
