/// The OpenAPI v2 document in protobuf (gnostic's `openapi.v2.Document`), the only form
/// kubectl reads `/openapi/v2` in: it asks for
/// `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (falling back to the old
/// `/swagger-2.0.0.pb-v1` path), and `kubectl explain` fetches it before anything else.
///
/// Covers what Skiff's documents contain: info, paths (operations, inline or `$ref`
/// parameters, responses), definitions (`$ref`, type, format, required, enum, properties,
/// items, additionalProperties, allOf, vendor extensions), security. Vendor extensions and
/// enum values are carried as YAML text, written as JSON (a subset of YAML), as gnostic does.
enum OpenAPIProtobuf {
    static func document(_ doc: JSON) -> [UInt8] {
        var w = ProtoWriter()
        w.string(1, doc["swagger"])
        w.message(2) { i in i.string(1, doc["info", "title"]); i.string(2, doc["info", "version"]) }
        w.message(8) { paths in
            for (path, item) in sortedMembers(doc["paths"]) {
                paths.message(2) { n in n.string(1, .string(path)); n.message(2) { pathItem(&$0, item) } }
            }
        }
        w.message(9) { defs in
            for (name, s) in sortedMembers(doc["definitions"]) {
                defs.message(1) { n in n.string(1, .string(name)); n.message(2) { schema(&$0, s) } }
            }
        }
        for requirement in doc["security"]?.array ?? [] {
            w.message(12) { r in
                for (name, scopes) in sortedMembers(requirement) {
                    r.message(1) { n in n.string(1, .string(name)); n.message(2) { $0.strings(1, scopes) } }
                }
            }
        }
        w.message(13) { defs in
            for (name, d) in sortedMembers(doc["securityDefinitions"]) {
                defs.message(1) { n in
                    n.string(1, .string(name))
                    n.message(2) { item in
                        item.message(2) { k in k.string(1, d["type"]); k.string(2, d["name"]); k.string(3, d["in"]); k.string(4, d["description"]) }
                    }
                }
            }
        }
        return w.bytes
    }

    static func sortedMembers(_ json: JSON?) -> [(String, JSON)] {
        (json?.members ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    static func pathItem(_ w: inout ProtoWriter, _ item: JSON) {
        for (method, field) in [("get", 2), ("put", 3), ("post", 4), ("delete", 5), ("options", 6), ("head", 7), ("patch", 8)] {
            if let op = item[method] { w.message(field) { operation(&$0, op) } }
        }
        for p in item["parameters"]?.array ?? [] { w.message(9) { parametersItem(&$0, p) } }
    }

    static func operation(_ w: inout ProtoWriter, _ op: JSON) {
        w.strings(1, op["tags"])
        w.string(3, op["description"])
        w.string(5, op["operationId"])
        w.strings(6, op["produces"])
        w.strings(7, op["consumes"])
        for p in op["parameters"]?.array ?? [] { w.message(8) { parametersItem(&$0, p) } }
        w.message(9) { responses in
            for (code, response) in sortedMembers(op["responses"]) {
                responses.message(1) { n in
                    n.string(1, .string(code))
                    n.message(2) { value in
                        value.message(1) { r in
                            r.string(1, response["description"])
                            if let s = response["schema"] { r.message(2) { item in item.message(1) { schema(&$0, s) } } }
                        }
                    }
                }
            }
        }
        w.strings(10, op["schemes"])
        extensions(&w, 13, op)
    }

    static func parametersItem(_ w: inout ProtoWriter, _ p: JSON) {
        if let ref = p["$ref"] { return w.message(2) { $0.string(1, ref) } }
        w.message(1) { parameter in
            if p["in"] == "body" {
                parameter.message(1) { b in
                    b.string(1, p["description"]); b.string(2, p["name"]); b.string(3, p["in"])
                    b.bool(4, p["required"]); if let s = p["schema"] { b.message(5) { schema(&$0, s) } }
                }
                return
            }
            // NonBodyParameter: header 1, formData 2, query 3, path 4. Query and formData
            // have `allowEmptyValue` at 5, shifting type/format/uniqueItems by one.
            let kinds = ["header": 1, "formData": 2, "query": 3, "path": 4]
            let field = kinds[p["in"]?.string ?? ""] ?? 3
            let shift = field == 2 || field == 3 ? 1 : 0
            parameter.message(2) { nonBody in
                nonBody.message(field) { q in
                    q.bool(1, p["required"]); q.string(2, p["in"]); q.string(3, p["description"]); q.string(4, p["name"])
                    q.string(5 + shift, p["type"]); q.string(6 + shift, p["format"]); q.bool(19 + shift, p["uniqueItems"])
                }
            }
        }
    }

    static func schema(_ w: inout ProtoWriter, _ s: JSON) {
        w.string(1, s["$ref"]); w.string(2, s["format"]); w.string(3, s["title"]); w.string(4, s["description"])
        if let d = s["default"] { w.message(5) { $0.string(2, .string(d.serializedString(sortedKeys: true))) } }
        w.bool(16, s["uniqueItems"])
        w.strings(19, s["required"])
        for e in s["enum"]?.array ?? [] { w.message(20) { $0.string(2, .string(e.serializedString(sortedKeys: true))) } }
        switch s["additionalProperties"] {
        case .object?: w.message(21) { a in a.message(1) { schema(&$0, s["additionalProperties"]!) } }
        case .bool(let b)?: w.message(21) { $0.bool(2, .bool(b), always: true) }
        default: break
        }
        if let type = s["type"] { w.message(22) { $0.strings(1, type) } }
        if let items = s["items"] {
            w.message(23) { i in for item in items.array ?? [items] { i.message(1) { schema(&$0, item) } } }
        }
        for sub in s["allOf"]?.array ?? [] { w.message(24) { schema(&$0, sub) } }
        if s["properties"] != nil {
            w.message(25) { props in
                for (name, p) in sortedMembers(s["properties"]) {
                    props.message(1) { n in n.string(1, .string(name)); n.message(2) { schema(&$0, p) } }
                }
            }
        }
        extensions(&w, 31, s)
    }

    /// `x-` members as `NamedAny` (name, `Any{yaml}`).
    static func extensions(_ w: inout ProtoWriter, _ field: Int, _ json: JSON) {
        for (key, value) in sortedMembers(json) where key.hasPrefix("x-") {
            w.message(field) { n in
                n.string(1, .string(key))
                n.message(2) { $0.string(2, .string(value.serializedString(sortedKeys: true))) }
            }
        }
    }
}

/// A minimal protobuf encoder: proto3 scalars (defaults omitted) and nested messages.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    mutating func string(_ field: Int, _ value: JSON?) {
        guard let s = value?.string, !s.isEmpty else { return }
        key(field, 2)
        varint(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    /// Each string of a JSON array (or a single string).
    mutating func strings(_ field: Int, _ value: JSON?) {
        for element in value?.array ?? (value.map { [$0] } ?? []) {
            guard let s = element.string else { continue }
            key(field, 2)
            varint(UInt64(s.utf8.count))
            bytes.append(contentsOf: s.utf8)
        }
    }

    mutating func bool(_ field: Int, _ value: JSON?, always: Bool = false) {
        guard let b = value?.bool, b || always else { return }
        key(field, 0)
        varint(b ? 1 : 0)
    }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var sub = ProtoWriter()
        build(&sub)
        key(field, 2)
        varint(UInt64(sub.bytes.count))
        bytes.append(contentsOf: sub.bytes)
    }
}
