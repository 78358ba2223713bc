/// OpenAPI v3: one document per group/version (`/openapi/v3/apis/apps/v1`) and the index
/// (`/openapi/v3`) that kubectl (1.27+) reads for `explain` and to check `fieldValidation`.
extension Schema {
    /// The OpenAPI 3.0 document of each group/version among `served`, keyed by its index path
    /// (`api/v1`, `apis/apps/v1`). Each holds the group/version's `paths` (operations carry
    /// `x-kubernetes-group-version-kind`; parameters are inline, with `fieldValidation` on
    /// writes) and the `components.schemas` those reach, with `$ref`s as
    /// `#/components/schemas/<name>`, property and item refs wrapped in `allOf`.
    public func openAPIV3(served: [ServedKind]) -> [String: JSON] {
        var byGroupVersion: [String: [ServedKind]] = [:]
        for kind in served { byGroupVersion[kind.groupVersionPath, default: []].append(kind) }
        var documents: [String: JSON] = [:]
        for (path, kinds) in byGroupVersion {
            var builder = OpenAPIPathBuilder(schema: self)
            for kind in kinds { builder.add(kind) }
            let v2Paths = JSON.object(builder.paths)
            var schemas: [String: JSON] = [:]
            for name in definitionClosure(of: v2Paths) {
                schemas[name] = exportSchema(storage.definitions[name]!, prefix: "#/components/schemas/", wrapRefs: true)
            }
            documents[path] = [
                "openapi": "3.0.0",
                "info": ["title": "Kubernetes", "version": "unversioned"],
                "paths": .object(builder.paths.mapValues(Schema.v3PathItem)),
                "components": [
                    "schemas": .object(schemas),
                    "securitySchemes": ["BearerToken": [
                        "type": "apiKey", "description": "Bearer Token authentication", "name": "authorization", "in": "header",
                    ]],
                ],
                "security": [["BearerToken": []]],
            ]
        }
        return documents
    }

    /// The `/openapi/v3` index: `{"paths": {"apis/apps/v1": {"serverRelativeURL":
    /// "/openapi/v3/apis/apps/v1?hash=<hash>"}}}`, from each document's content hash.
    public static func openAPIV3Index(hashes: [String: String]) -> JSON {
        var paths: [String: JSON] = [:]
        for (path, hash) in hashes {
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(hash)")]
        }
        return ["paths": .object(paths)]
    }

    /// A content hash of a document for the `hash` query and `ETag`: FNV-1a (64-bit) of its
    /// serialization with sorted keys, as 16 upper-case hex digits. Clients treat it as opaque.
    public static func contentHash(_ document: JSON) -> String {
        contentHash(bytes: document.serialized(sortedKeys: true))
    }

    static func contentHash(bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// An OpenAPI v2 path item in v3 form.
    static func v3PathItem(_ item: JSON) -> JSON {
        var out: [String: JSON] = [:]
        for (key, value) in item.members {
            out[key] = key == "parameters" ? .array((value.array ?? []).map(v3Parameter)) : v3Operation(value)
        }
        return .object(out)
    }

    static func v3Operation(_ op: JSON) -> JSON {
        var out: [String: JSON] = [:]
        for key in ["operationId", "tags", "x-kubernetes-action", "x-kubernetes-group-version-kind"] { out[key] = op[key] }
        let consumes = (op["consumes"]?.array ?? []).compactMap(\.string)
        let produces = (op["produces"]?.array ?? []).compactMap(\.string)
        var parameters: [JSON] = []
        for parameter in op["parameters"]?.array ?? [] {
            guard parameter["in"] == "body" else {
                parameters.append(v3Parameter(parameter))
                continue
            }
            var body: JSON = ["content": content(consumes, parameter["schema"] ?? [:])]
            if parameter["required"] == true { body["required"] = true }
            out["requestBody"] = body
        }
        if !parameters.isEmpty { out["parameters"] = .array(parameters) }
        out["responses"] = .object(op["responses"]?.members.mapValues { response in
            var r: JSON = ["description": response["description"] ?? ""]
            if let schema = response["schema"] { r["content"] = content(produces, schema) }
            return r
        } ?? [:])
        return .object(out)
    }

    static func v3Parameter(_ p: JSON) -> JSON {
        var out: JSON = ["name": p["name"] ?? "", "in": p["in"] ?? "", "schema": ["type": p["type"] ?? "string", "uniqueItems": true]]
        if p["required"] == true { out["required"] = true }
        return out
    }

    static func content(_ mediaTypes: [String], _ schema: JSON) -> JSON {
        var schema = schema
        if let ref = schema["$ref"]?.string { schema["$ref"] = .string("#/components/schemas/" + definitionName(ref: ref)) }
        return .object(Dictionary(uniqueKeysWithValues: mediaTypes.map { ($0, ["schema": schema]) }))
    }
}
