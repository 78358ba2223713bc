import SkiffModel
import SkiffStorage

extension APIServer {
    func get(_ c: inout RequestContext) async throws -> Response {
        let obj = try await store.get(c.type, namespace: c.namespace, name: c.info.name)
        switch c.format {
        case .object: return .raw(c.outputBytes(obj))
        case .table: return .json(Table.make(c, [obj], listMeta: ["resourceVersion": .string(String(obj.revision))]))
        case .metadata: return .json(Table.partialMetadata(obj.object), contentType: "application/json")
        }
    }

    func list(_ c: inout RequestContext) async throws -> Response {
        let opts = try c.listOptions()
        let page = try await listPage(c, opts)
        var meta: JSON = ["resourceVersion": .string(String(page.revision))]
        if let cont = page.continueToken { meta["continue"] = .string(cont) }
        if let remaining = page.remainingItemCount { meta["remainingItemCount"] = .int(Int64(remaining)) }
        switch c.format {
        case .table:
            return .json(Table.make(c, page.items, listMeta: meta))
        case .metadata:
            return .json(["kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                          "items": .array(page.items.map { Table.partialMetadata($0.object) })])
        case .object:
            var out: [UInt8] = []
            out.reserveCapacity(page.items.reduce(128) { $0 + $1.bytes.count + 1 })
            out += Array("{\"kind\":\"\(c.type.kind)List\",\"apiVersion\":\"\(c.apiVersion)\",\"metadata\":".utf8)
            meta.write(to: &out)
            out += Array(",\"items\":[".utf8)
            for (i, item) in page.items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += c.outputBytes(item)
            }
            out += Array("]}".utf8)
            return .raw(out)
        }
    }

    struct ListPage {
        var items: [CachedObject]
        var revision: Int64
        var continueToken: String?
        /// Objects after this page; only for lists without selectors, as Kubernetes sets it.
        var remainingItemCount: Int?
    }

    /// The objects a list returns: from the cache, or, for paged and exact-revision lists, from
    /// the backend at one revision so that every page is the same snapshot.
    func listPage(_ c: RequestContext, _ opts: ListOptions) async throws -> ListPage {
        let keyPrefix = c.type.key(namespace: c.namespace, name: nil)
        let exact = opts.resourceVersionMatch == "Exact"
        if opts.limit == 0 && opts.continueToken == nil && !exact {
            if let rv = opts.resourceVersion.flatMap(Int64.init), rv > 0 {
                await store.cache.waitUntil(rv)
            } else {
                await store.sync()
            }
            let (all, rev) = await store.cache.list(resourcePrefix: c.type.keyPrefix, keyPrefix: keyPrefix)
            return ListPage(items: opts.hasFilter ? all.filter(opts.matches) : all, revision: rev)
        }
        var revision: Int64? = opts.continueToken?.rv ?? (exact ? opts.resourceVersion.flatMap(Int64.init) : nil)
        var after = opts.continueToken?.start
        var items: [CachedObject] = []
        while true {
            let want = opts.limit == 0 ? 0 : max(opts.limit - items.count, opts.hasFilter ? 500 : 0)
            let result: ListResult
            do {
                result = try await store.backend.list(prefix: keyPrefix, startAfter: after, limit: want, revision: revision)
            } catch StorageError.compacted {
                throw APIError(code: 410, reason: "Expired",
                               message: "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            }
            revision = result.revision
            for kv in result.items {
                guard let obj = CachedObject(kv, registry: registry), opts.matches(obj) else { continue }
                items.append(obj)
                if opts.limit > 0 && items.count == opts.limit {
                    let more = kv.key != result.items.last?.key || result.more
                    let token = more ? ContinueToken(rv: result.revision, start: kv.key).encode() : nil
                    var remaining: Int?
                    if more && !opts.hasFilter {
                        remaining = await store.cache.count(resourcePrefix: c.type.keyPrefix, keyPrefix: keyPrefix, after: kv.key)
                    }
                    return ListPage(items: items, revision: result.revision, continueToken: token, remainingItemCount: remaining)
                }
            }
            guard result.more, let last = result.items.last else { break }
            after = last.key
        }
        return ListPage(items: items, revision: revision ?? 0)
    }
}
