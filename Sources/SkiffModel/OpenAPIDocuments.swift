/// The OpenAPI documents of a set of served resources, built once and kept serialized:
/// `/openapi/v2`, the `/openapi/v3` index and each `/openapi/v3/<group-version>` document,
/// with the content hashes the v3 index puts in its `?hash=` URLs.
///
/// Rebuild (cheaply: tens of milliseconds) when the served set changes, e.g. for a new CRD.
/// A request for a v3 document whose `hash` query matches may be answered as immutable
/// (Kubernetes sends `Cache-Control: public, immutable`); one with a stale hash is
/// redirected by Kubernetes to the current URL.
public struct OpenAPIDocuments: Sendable {
    /// One serialized document and its content hash.
    public struct Document: Sendable {
        public let json: JSON
        /// Compact JSON, keys sorted.
        public let bytes: [UInt8]
        public let hash: String

        init(_ json: JSON) {
            self.json = json
            bytes = json.serialized(sortedKeys: true)
            hash = Schema.contentHash(bytes: bytes)
        }
    }

    public let v2: Document
    /// `v2` as gnostic protobuf, for `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
    /// (what kubectl asks for; serve it with that content type). Its hash is `v2.hash`.
    public let v2Protobuf: [UInt8]
    /// Per group/version, keyed `api/v1`, `apis/apps/v1`.
    public let v3: [String: Document]
    /// The `/openapi/v3` index.
    public let v3Index: Document

    public init(schema: Schema = .builtin, served: [ServedKind]) {
        v2 = Document(schema.openAPIV2(served: served))
        v2Protobuf = OpenAPIProtobuf.document(v2.json)
        v3 = schema.openAPIV3(served: served).mapValues(Document.init)
        v3Index = Document(Schema.openAPIV3Index(hashes: v3.mapValues(\.hash)))
    }

    /// The v3 document for a request path: `apis/apps/v1`, `/openapi/v3/apis/apps/v1`.
    public func v3Document(path: String) -> Document? {
        var key = Substring(path)
        if key.hasPrefix("/openapi/v3/") { key = key.dropFirst("/openapi/v3/".count) }
        while key.hasPrefix("/") { key = key.dropFirst() }
        while key.hasSuffix("/") { key = key.dropLast() }
        return v3[String(key)]
    }
}
