import SkiffModel
import Synchronization

/// The OpenAPI documents, built on first use from what the registry serves.
final class OpenAPICache: Sendable {
    let documents = Mutex<OpenAPIDocuments?>(nil)

    func get(_ registry: Registry) -> OpenAPIDocuments {
        if let d = documents.withLock({ $0 }) { return d }
        let served = registry.all.flatMap { t in
            t.versions.map { v in
                ServedKind(group: t.group, version: v, kind: t.kind, resource: t.plural, namespaced: t.namespaced,
                           verbs: t.verbs, subresources: t.subresources)
            }
        }
        let built = OpenAPIDocuments(served: served)
        documents.withLock { $0 = built }
        return built
    }

    /// Drops the documents so the next request rebuilds them (the served set changed).
    func invalidate() { documents.withLock { $0 = nil } }
}

extension APIServer {
    /// `/openapi/v2`, `/openapi/v3` and `/openapi/v3/<group-version>`.
    func openAPI(_ request: Request, _ segs: [String]) throws -> Response {
        let docs = openAPICache.get(registry)
        if segs == ["openapi", "v2"] || segs == ["swagger-2.0.0.pb-v1"] {
            // kubectl reads v2 only as protobuf.
            if (request.headers.first(name: "accept") ?? "").contains("protobuf") || segs[0] == "swagger-2.0.0.pb-v1" {
                return .raw(docs.v2Protobuf, contentType: "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            }
            return .raw(docs.v2.bytes)
        }
        if segs == ["openapi", "v3"] {
            return .raw(docs.v3Index.bytes)
        }
        if segs.count > 2, segs[1] == "v3", let doc = docs.v3Document(path: segs.dropFirst(2).joined(separator: "/")) {
            var response = Response.raw(doc.bytes)
            if request.query["hash"] == doc.hash {
                response.headers.add(name: "Cache-Control", value: "public, immutable")
            }
            return response
        }
        throw APIError.pathNotFound()
    }
}
