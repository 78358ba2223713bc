import Testing
@testable import SkiffModel

@Suite struct KubernetesProtobufTests {
    /// The message of each served kind, by the group-version's package; meta/v1 kinds from any group.
    @Test(arguments: [
        ("v1", "Secret", "k8s.io.api.core.v1.Secret"),
        ("apps/v1", "Deployment", "k8s.io.api.apps.v1.Deployment"),
        ("batch/v1", "CronJob", "k8s.io.api.batch.v1.CronJob"),
        ("autoscaling/v1", "Scale", "k8s.io.api.autoscaling.v1.Scale"),
        ("autoscaling/v2", "HorizontalPodAutoscaler", "k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "k8s.io.api.rbac.v1.ClusterRoleBinding"),
        ("policy/v1", "PodDisruptionBudget", "k8s.io.api.policy.v1.PodDisruptionBudget"),
        ("policy/v1", "Eviction", "k8s.io.api.policy.v1.Eviction"),
        ("scheduling.k8s.io/v1", "PriorityClass", "k8s.io.api.scheduling.v1.PriorityClass"),
        ("networking.k8s.io/v1", "Ingress", "k8s.io.api.networking.v1.Ingress"),
        ("coordination.k8s.io/v1", "Lease", "k8s.io.api.coordination.v1.Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice", "k8s.io.api.discovery.v1.EndpointSlice"),
        ("storage.k8s.io/v1", "StorageClass", "k8s.io.api.storage.v1.StorageClass"),
        ("events.k8s.io/v1", "Event", "k8s.io.api.events.v1.Event"),
        ("authentication.k8s.io/v1", "TokenRequest", "k8s.io.api.authentication.v1.TokenRequest"),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview", "k8s.io.api.authorization.v1.SelfSubjectAccessReview"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest", "k8s.io.api.certificates.v1.CertificateSigningRequest"),
        ("v1", "DeleteOptions", "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
        ("apps/v1", "DeleteOptions", "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
        ("meta.k8s.io/v1", "Status", "k8s.io.apimachinery.pkg.apis.meta.v1.Status"),
    ])
    func messageOfKind(apiVersion: String, kind: String, message: String) {
        #expect(KubernetesProtobuf.messageName(apiVersion: apiVersion, kind: kind) == message)
    }

    @Test(arguments: [
        ("v1", "ObjectMeta"), ("v1", "Nope"), ("apps/v2", "Deployment"), ("example.com/v1", "Widget"),
    ])
    func unknownKinds(apiVersion: String, kind: String) {
        #expect(KubernetesProtobuf.messageName(apiVersion: apiVersion, kind: kind) == nil)
        let body = kubernetesProtobuf(apiVersion, kind) { $0.message(1) { $0.text(1, "x") } }
        #expect(throws: ProtobufDecodingError(.unknownType, "no protobuf schema for kind \(kind) in \(apiVersion)")) {
            try decodeKubernetesProtobuf(body)
        }
    }

    @Test func deleteOptionsFromAGroup() throws {
        let body = kubernetesProtobuf("apps/v1", "DeleteOptions") { $0.int(1, 0); $0.text(4, "Foreground") }
        #expect(try decodeKubernetesProtobuf(body) == [
            "apiVersion": "apps/v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0, "propagationPolicy": "Foreground",
        ])
    }

    static let secret = kubernetesProtobuf("v1", "Secret") { s in
        s.message(1) { $0.text(1, "s") }
        s.entry(2, "k", [1])
    }

    /// Input and the message of the `.malformed` error.
    @Test(arguments: [
        ([], #"the body is not a Kubernetes protobuf message: it does not start with "k8s\x00""#),
        (Array(#"{"kind":"Secret"}"#.utf8), #"the body is not a Kubernetes protobuf message: it does not start with "k8s\x00""#),
        (KubernetesProtobuf.magic, "the protobuf envelope does not name the object's apiVersion and kind"),
        (Array(secret.dropLast(6)), "length 13 runs past the end of the message"),
        (KubernetesProtobuf.magic + [0x0A], "truncated varint"),
        (KubernetesProtobuf.magic + [0x08, 0x01], "runtime.Unknown field 1: wire type 0"),
        (KubernetesProtobuf.magic + [0x2B], "unsupported wire type 3"),
        (KubernetesProtobuf.magic + [0x00], "invalid field number 0"),
        (KubernetesProtobuf.magic + [0x28] + Array(repeating: 0xFF, count: 9) + [0x02], "varint overflows 64 bits"),
    ] as [([UInt8], String)])
    func malformedEnvelopes(bytes: [UInt8], message: String) {
        #expect(throws: ProtobufDecodingError(.malformed, message)) { try decodeKubernetesProtobuf(bytes) }
    }

    @Test func compressedContentIsRefused() {
        var unknown = ProtoWriter()
        unknown.message(1) { t in t.text(1, "v1"); t.text(2, "Secret") }
        unknown.raw(2, [])
        unknown.text(3, "gzip")
        #expect(throws: ProtobufDecodingError(.malformed, #"unsupported contentEncoding "gzip""#)) {
            try decodeKubernetesProtobuf(KubernetesProtobuf.magic + unknown.bytes)
        }
    }

    @Test func malformedMessages() {
        let wrongWire = kubernetesProtobuf("v1", "Secret") { $0.int(1, 5) }
        #expect(throws: ProtobufDecodingError(.malformed, "k8s.io.api.core.v1.Secret.metadata (field 1): wire type 0, expected 2")) {
            try decodeKubernetesProtobuf(wrongWire)
        }
        let badJSON = kubernetesProtobuf("apps/v1", "ControllerRevision") { $0.message(2) { $0.text(1, "{") } }
        #expect(throws: ProtobufDecodingError(.malformed, "k8s.io.apimachinery.pkg.runtime.RawExtension: invalid JSON: expected a string key at offset 1")) {
            try decodeKubernetesProtobuf(badJSON)
        }
        // A RawExtension holding itself, again and again: refused before the stack runs out.
        var raw: [UInt8] = kubernetesProtobuf("v1", "ConfigMap") { _ in }
        for _ in 0..<100 {
            let inner = raw
            raw = kubernetesProtobuf("apps/v1", "ControllerRevision") { $0.message(2) { $0.raw(1, inner) } }
        }
        let deep = raw
        #expect(throws: ProtobufDecodingError(.malformed, "messages nested deeper than 64 levels")) { try decodeKubernetesProtobuf(deep) }
    }
}
