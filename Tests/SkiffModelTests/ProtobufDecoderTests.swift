import Testing
@testable import SkiffModel

/// Hand-built protobuf, written the way gogo protobuf (client-go) writes it: value fields always,
/// empty strings included; pointer fields only when set.
extension ProtoWriter {
    mutating func raw(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func text(_ field: Int, _ value: String) { raw(field, Array(value.utf8)) }

    mutating func int(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    /// A map entry: key 1, value 2.
    mutating func entry(_ field: Int, _ key: String, _ value: [UInt8]) {
        message(field) { e in e.text(1, key); e.raw(2, value) }
    }

    /// An ObjectMeta as client-go writes a new object's: every string, generation and creationTimestamp.
    mutating func objectMeta(_ field: Int, name: String, namespace: String = "", labels: [(String, String)] = []) {
        message(field) { m in
            m.text(1, name); m.text(2, ""); m.text(3, namespace); m.text(4, ""); m.text(5, ""); m.text(6, "")
            m.int(7, 0)
            m.message(8) { _ in }
            for (k, v) in labels { m.entry(11, k, Array(v.utf8)) }
        }
    }
}

/// `k8s\0` + runtime.Unknown{typeMeta, raw, contentEncoding "", contentType ""}.
func kubernetesProtobuf(_ apiVersion: String, _ kind: String, _ build: (inout ProtoWriter) -> Void) -> [UInt8] {
    var raw = ProtoWriter()
    build(&raw)
    var unknown = ProtoWriter()
    unknown.message(1) { t in t.text(1, apiVersion); t.text(2, kind) }
    unknown.raw(2, raw.bytes)
    unknown.text(3, "")
    unknown.text(4, "")
    return KubernetesProtobuf.magic + unknown.bytes
}

@Suite struct ProtobufDecoderTests {
    @Test func secretWithDataAndLabels() throws {
        let body = kubernetesProtobuf("v1", "Secret") { s in
            s.objectMeta(1, name: "mysecret", namespace: "default", labels: [("app", "web"), ("tier", "")])
            s.entry(2, "token", Array("abc".utf8))
            s.entry(2, "bin", [0, 255, 16])
            s.entry(2, "empty", [])
            s.text(3, "")  // type: a value field, empty means unset
            s.int(5, 0)  // immutable: a pointer set to false
        }
        #expect(try decodeKubernetesProtobuf(body) == [
            "apiVersion": "v1", "kind": "Secret",
            "metadata": ["name": "mysecret", "namespace": "default", "creationTimestamp": .null,
                         "labels": ["app": "web", "tier": ""]],
            "data": ["token": "YWJj", "bin": "AP8Q", "empty": ""],
            "immutable": false,
        ])
    }

    /// The bytes kubectl 1.33 sent for `kubectl create secret generic mysecret --from-literal=token=abc`.
    @Test func kubectlCreateSecret() throws {
        let hex = "6b3873000a0c0a0276311206536563726574122a0a180a086d7973656372657412001a0022002a0032003800420012"
            + "0c0a05746f6b656e1203616263" + "1a00" + "1a002200"
        var bytes: [UInt8] = []
        var digits = hex.makeIterator()
        while let a = digits.next(), let b = digits.next() { bytes.append(UInt8(String([a, b]), radix: 16)!) }
        #expect(try decodeKubernetesProtobuf(bytes) == [
            "apiVersion": "v1", "kind": "Secret",
            "metadata": ["name": "mysecret", "creationTimestamp": .null],
            "data": ["token": "YWJj"],
        ])
    }

    @Test func configMap() throws {
        let body = kubernetesProtobuf("v1", "ConfigMap") { c in
            c.objectMeta(1, name: "settings")
            c.entry(2, "mode", Array("fast".utf8))
            c.entry(2, "level", Array("3".utf8))
            c.entry(3, "blob", [1, 2, 3])
        }
        #expect(try decodeKubernetesProtobuf(body) == [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": "settings", "creationTimestamp": .null],
            "data": ["mode": "fast", "level": "3"],
            "binaryData": ["blob": "AQID"],
        ])
    }

    @Test func deploymentWithContainerAndReplicas() throws {
        let body = kubernetesProtobuf("apps/v1", "Deployment") { d in
            d.objectMeta(1, name: "web", labels: [("app", "web")])
            d.message(2) { spec in
                spec.int(1, 3)  // replicas
                spec.message(2) { sel in sel.entry(1, "app", Array("web".utf8)) }
                spec.message(3) { template in
                    template.objectMeta(1, name: "", labels: [("app", "web")])
                    template.message(2) { pod in
                        pod.message(2) { c in  // containers
                            c.text(1, "nginx"); c.text(2, "nginx:1.25")
                            c.message(6) { p in p.text(1, ""); p.int(2, 0); p.int(3, 80); p.text(4, "TCP"); p.text(5, "") }
                            c.message(8) { r in r.message(1) { e in e.text(1, "cpu"); e.message(2) { $0.text(1, "500m") } } }
                            c.text(14, "")  // imagePullPolicy unset
                            c.int(16, 0)  // stdin false: a value field, left out
                        }
                        pod.text(3, "")  // restartPolicy unset
                    }
                }
                spec.message(4) { strategy in
                    strategy.text(1, "RollingUpdate")
                    strategy.message(2) { ru in
                        ru.message(1) { $0.int(1, 0); $0.int(2, 1); $0.text(3, "") }  // maxUnavailable: 1
                        ru.message(2) { $0.int(1, 1); $0.int(2, 0); $0.text(3, "25%") }  // maxSurge: "25%"
                    }
                }
                spec.int(5, 0)  // minReadySeconds: value, zero, left out
                spec.int(6, 0)  // revisionHistoryLimit: pointer, zero, kept
                spec.int(7, 0)  // paused
            }
            d.message(3) { _ in }  // status
        }
        #expect(try decodeKubernetesProtobuf(body) == [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "creationTimestamp": .null, "labels": ["app": "web"]],
            "spec": [
                "replicas": 3,
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["creationTimestamp": .null, "labels": ["app": "web"]],
                    "spec": ["containers": [[
                        "name": "nginx", "image": "nginx:1.25",
                        "ports": [["containerPort": 80, "protocol": "TCP"]],
                        "resources": ["limits": ["cpu": "500m"]],
                    ]]],
                ],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": "25%"]],
                "revisionHistoryLimit": 0,
            ],
            "status": [:],
        ])
    }

    /// Go structs embedded with `json:",inline"` (VolumeSource, LocalObjectReference) flatten into their parent.
    @Test func inlineFields() throws {
        let body = kubernetesProtobuf("v1", "Pod") { p in
            p.objectMeta(1, name: "p")
            p.message(2) { spec in
                spec.message(1) { v in  // volumes
                    v.text(1, "config")
                    v.message(2) { source in source.message(19) { cm in cm.message(1) { $0.text(1, "settings") }; cm.int(3, 420) } }
                }
            }
        }
        let pod = try decodeKubernetesProtobuf(body)
        #expect(pod["spec", "volumes"] == [["name": "config", "configMap": ["name": "settings", "defaultMode": 420]]])
    }

    @Test func unknownFieldsAreSkippedAndRepeatedMessagesMerge() throws {
        let body = kubernetesProtobuf("v1", "Namespace") { n in
            n.int(99, 7)
            n.text(98, "ignored")
            n.message(1) { $0.text(1, "ns1") }
            n.message(1) { $0.entry(11, "a", Array("b".utf8)) }  // merged into the first metadata
            n.message(2) { spec in spec.text(1, "kubernetes"); spec.text(1, "other") }
        }
        #expect(try decodeKubernetesProtobuf(body) == [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": ["name": "ns1", "labels": ["a": "b"]],
            "spec": ["finalizers": ["kubernetes", "other"]],
        ])
    }

    @Test func packedAndUnpackedRepeatedScalars() throws {
        let body = kubernetesProtobuf("v1", "Pod") { p in
            p.message(2) { spec in
                spec.message(14) { sc in  // securityContext
                    sc.int(4, 1000)  // supplementalGroups, unpacked
                    var packed = ProtoWriter()
                    packed.varint(2000)
                    packed.varint(3000)
                    sc.raw(4, packed.bytes)
                }
            }
        }
        #expect(try decodeKubernetesProtobuf(body)["spec", "securityContext", "supplementalGroups"] == [1000, 2000, 3000])
    }

    @Test func wellKnownTypes() throws {
        let body = kubernetesProtobuf("v1", "Event") { e in
            e.message(1) { m in
                m.text(1, "ev")
                m.message(8) { $0.int(1, 1_795_867_200) }  // creationTimestamp
                m.message(17) { f in  // managedFields
                    f.text(1, "kubectl")
                    f.message(4) { $0.int(1, 1_795_867_200) }
                    f.message(7) { $0.raw(1, Array(#"{"f:metadata":{}}"#.utf8)) }
                }
            }
            e.message(2) { $0.text(1, "Pod"); $0.text(3, "p") }  // involvedObject
            e.int(8, 0)  // count: a value field, zero
            e.message(10) { $0.int(1, 1_795_867_200); $0.int(2, 123_456_789) }  // eventTime (MicroTime)
        }
        let event = try decodeKubernetesProtobuf(body)
        #expect(event["metadata", "creationTimestamp"] == "2026-11-28T12:00:00Z")
        #expect(event["metadata", "managedFields"] == [[
            "manager": "kubectl", "time": "2026-11-28T12:00:00Z", "fieldsV1": ["f:metadata": [:]],
        ]])
        #expect(event["involvedObject"] == ["kind": "Pod", "name": "p"])
        #expect(event["count"] == nil)
        #expect(event["eventTime"] == "2026-11-28T12:00:00.123456Z")
    }

    @Test(arguments: [
        (Int64(0), "0s"), (999, "999ns"), (1_500, "1.5µs"), (1_500_000, "1.5ms"), (1_000_000_000, "1s"),
        (1_500_000_000, "1.5s"), (60_000_000_000, "1m0s"), (3_661_500_000_000, "1h1m1.5s"),
        (7_200_000_000_000, "2h0m0s"), (-2_000_000_000, "-2s"),
    ])
    func goDurations(nanoseconds: Int64, text: String) {
        #expect(ProtobufDecoder.goDuration(nanoseconds) == text)
    }

    @Test func rawExtensionHoldsJSONOrNestedProtobuf() throws {
        let nested = kubernetesProtobuf("v1", "ConfigMap") { $0.message(1) { $0.text(1, "inner") } }
        let json: JSON = ["a": [1, 2]]
        let object: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "inner"]]
        for (raw, expected) in [(Array(#"{"a":[1,2]}"#.utf8), json), (nested, object)] {
            let body = kubernetesProtobuf("apps/v1", "ControllerRevision") { r in
                r.message(1) { $0.text(1, "rev") }
                r.message(2) { $0.raw(1, raw) }
                r.int(3, 2)
            }
            #expect(try decodeKubernetesProtobuf(body)["data"] == expected)
        }
    }

    /// Every message a field names is in the schema (or decoded by hand), and served kinds resolve.
    @Test func schemaIsClosed() {
        for message in ProtobufSchema.messages.values {
            for field in message.fields.values {
                var type = field.type
                if case .map(_, let value) = type { type = value }
                if case .message(let name) = type {
                    #expect(ProtobufSchema.message(name) != nil, "\(message.name).\(field.name): \(name)")
                }
            }
        }
        #expect(ProtobufSchema.messages.count > 450)
    }
}
