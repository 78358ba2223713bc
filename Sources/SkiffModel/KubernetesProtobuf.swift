/// Reads an object in Kubernetes' protobuf serialization (`application/vnd.kubernetes.protobuf`)
/// into its JSON form, with `apiVersion` and `kind` set.
///
/// The bytes are `k8s\0` followed by a `runtime.Unknown`: `typeMeta` (apiVersion, kind), `raw`
/// (the typed message), `contentEncoding` and `contentType`. The typed message is the kind in the
/// group-version's package: `apps/v1` `Deployment` is `k8s.io.api.apps.v1.Deployment`; kinds every
/// group carries (`DeleteOptions`, `Status`, ...) are looked up in meta/v1 as well.
///
///     let secret = try decodeKubernetesProtobuf(body)   // ["apiVersion": "v1", "kind": "Secret", ...]
///
/// Throws `.malformed` for bytes that are not a valid encoding, `.unknownType` for a kind with
/// no known schema.
public func decodeKubernetesProtobuf(_ bytes: [UInt8]) throws(ProtobufDecodingError) -> JSON {
    try KubernetesProtobuf.decode(bytes)
}

public enum KubernetesProtobuf {
    /// The media type of request and response bodies in this serialization.
    public static let contentType = "application/vnd.kubernetes.protobuf"
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]  // "k8s\0"

    /// The Go package of each API group (the proto package is `k8s.io.api.<package>.<version>`).
    static let packages: [String: String] = [
        "": "core", "apps": "apps", "batch": "batch", "autoscaling": "autoscaling", "policy": "policy",
        "rbac.authorization.k8s.io": "rbac", "scheduling.k8s.io": "scheduling", "networking.k8s.io": "networking",
        "coordination.k8s.io": "coordination", "discovery.k8s.io": "discovery", "storage.k8s.io": "storage",
        "events.k8s.io": "events", "authentication.k8s.io": "authentication",
        "authorization.k8s.io": "authorization", "certificates.k8s.io": "certificates",
    ]

    /// meta/v1 kinds registered in every group version (`metav1.AddToGroupVersion`).
    static let metaKinds: Set<String> = [
        "DeleteOptions", "Status", "ListOptions", "GetOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "WatchEvent",
    ]

    /// See `decodeKubernetesProtobuf(_:)`.
    public static func decode(_ bytes: [UInt8]) throws(ProtobufDecodingError) -> JSON {
        try decode(bytes, depth: 0)
    }

    /// `depth`: how many messages this one is nested in (an object in a RawExtension).
    static func decode(_ bytes: [UInt8], depth: Int) throws(ProtobufDecodingError) -> JSON {
        guard bytes.starts(with: magic) else {
            throw .malformed("the body is not a Kubernetes protobuf message: it does not start with \"k8s\\x00\"")
        }
        var reader = ProtobufReader(bytes, range: magic.count..<bytes.count)
        var apiVersion = "", kind = "", contentEncoding = ""
        var raw: Range<Int> = 0..<0
        while !reader.isAtEnd {
            let (number, wireType) = try reader.key()
            guard (1...4).contains(number) else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == 2 else { throw .malformed("runtime.Unknown field \(number): wire type \(wireType)") }
            let value = try reader.lengthDelimited()
            switch number {
            case 1:
                let typeMeta = try ProtobufDecoder.fields("runtime.TypeMeta", bytes, value, [1: .string, 2: .string])
                apiVersion = typeMeta[1]?.string ?? ""
                kind = typeMeta[2]?.string ?? ""
            case 2: raw = value
            case 3: contentEncoding = String(decoding: bytes[value], as: UTF8.self)
            default: break  // contentType: the raw bytes are the typed message
            }
        }
        guard contentEncoding.isEmpty else { throw .malformed("unsupported contentEncoding \"\(contentEncoding)\"") }
        guard !kind.isEmpty, !apiVersion.isEmpty else {
            throw .malformed("the protobuf envelope does not name the object's apiVersion and kind")
        }
        guard let message = messageName(apiVersion: apiVersion, kind: kind) else {
            throw ProtobufDecodingError(.unknownType, "no protobuf schema for kind \(kind) in \(apiVersion)")
        }
        var object = try ProtobufDecoder.decode(message, bytes, raw, depth: depth)
        guard object.object != nil else { throw .malformed("\(kind) is not an object") }
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return object
    }

    /// The full message name of a kind: `k8s.io.api.core.v1.Secret` for `v1` `Secret`.
    static func messageName(apiVersion: String, kind: String) -> String? {
        let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        let (group, version) = parts.count == 2 ? (String(parts[0]), String(parts[1])) : ("", apiVersion)
        var candidates: [String] = []
        if let package = packages[group] { candidates.append("k8s.io.api.\(package).\(version).\(kind)") }
        if metaKinds.contains(kind) { candidates.append(ProtobufDecoder.metaPackage + kind) }
        return candidates.first { ProtobufSchema.message($0) != nil }
    }
}
