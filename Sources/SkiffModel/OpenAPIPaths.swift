/// Builds OpenAPI v2 path items for served resources, shaped as Kubernetes publishes them:
/// operation IDs (`listAppsV1NamespacedDeployment`), `x-kubernetes-action`,
/// `x-kubernetes-group-version-kind` on every operation (what `kubectl explain` uses to find a
/// resource's schema) and the query parameters (`fieldValidation` on create/update/patch,
/// which kubectl checks before sending `--validate=strict` to the server).
struct OpenAPIPathBuilder {
    let schema: Schema
    var paths: [String: JSON] = [:]

    static let status = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
    static let deleteOptions = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
    static let patch = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
    static let watchEvent = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"
    static let resourceList = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList"
    static let jsonYAML = ["application/json", "application/yaml"]
    static let watchable = ["application/json", "application/yaml", "application/json;stream=watch"]
    static let patchTypes = ["application/json-patch+json", "application/merge-patch+json",
                             "application/strategic-merge-patch+json", "application/apply-patch+yaml"]

    /// One served resource: collection, item, all-namespaces, watch and subresource paths for
    /// the verbs it supports.
    mutating func add(_ s: ServedKind) {
        let gv = s.operationGroupVersion
        let scope = s.namespaced ? "Namespaced" : ""
        let base = s.namespaced ? "\(s.urlPrefix)/namespaces/{namespace}/\(s.resource)" : "\(s.urlPrefix)/\(s.resource)"
        let scopeParams: [JSON] = s.namespaced ? [Self.pathParam("namespace")] : []
        let kindName = schema.definitionName(for: s.gvk)
        let kindDef = Self.ref(kindName)
        let listDef = Self.ref(schema.definitionName(for: GroupVersionKind(group: s.group, version: s.version, kind: s.kind + "List")))
        let verbs = Set(s.verbs)
        var op = Op(kind: s, tag: s.tag)

        var collection: JSON = [:]
        if verbs.contains("list") {
            collection["get"] = op.make("list\(gv)\(scope)\(s.kind)", "list", Self.listParams, [(200, listDef)], produces: Self.watchable)
        }
        if verbs.contains("create") {
            collection["post"] = op.make("create\(gv)\(scope)\(s.kind)", "post", [Self.body(kindName, required: true)] + Self.writeParams,
                                         [(200, kindDef), (201, kindDef), (202, kindDef)])
        }
        if verbs.contains("deletecollection") {
            collection["delete"] = op.make("delete\(gv)Collection\(scope)\(s.kind)", "deletecollection",
                                           [Self.body(Self.deleteOptions, required: false)] + Self.deleteCollectionParams, [(200, Self.ref(Self.status))])
        }
        set(base, collection, scopeParams + [Self.query("pretty", "string")])

        var item: JSON = [:]
        if verbs.contains("get") { item["get"] = op.make("read\(gv)\(scope)\(s.kind)", "get", [], [(200, kindDef)]) }
        if verbs.contains("update") {
            item["put"] = op.make("replace\(gv)\(scope)\(s.kind)", "put", [Self.body(kindName, required: true)] + Self.writeParams,
                                  [(200, kindDef), (201, kindDef)])
        }
        if verbs.contains("patch") {
            item["patch"] = op.make("patch\(gv)\(scope)\(s.kind)", "patch", [Self.body(Self.patch, required: true)] + Self.patchParams,
                                    [(200, kindDef), (201, kindDef)], consumes: Self.patchTypes)
        }
        if verbs.contains("delete") {
            item["delete"] = op.make("delete\(gv)\(scope)\(s.kind)", "delete", [Self.body(Self.deleteOptions, required: false)] + Self.deleteParams,
                                     [(200, Self.ref(Self.status)), (202, Self.ref(Self.status))])
        }
        let itemParams = [Self.pathParam("name")] + scopeParams + [Self.query("pretty", "string")]
        set("\(base)/{name}", item, itemParams)

        if s.namespaced && verbs.contains("list") {
            let get = op.make("list\(gv)\(s.kind)ForAllNamespaces", "list", [], [(200, listDef)], produces: Self.watchable)
            set("\(s.urlPrefix)/\(s.resource)", ["get": get], Self.listParams + [Self.query("pretty", "string")])
        }
        if verbs.contains("watch") {
            let watchBase = s.namespaced ? "\(s.urlPrefix)/watch/namespaces/{namespace}/\(s.resource)" : "\(s.urlPrefix)/watch/\(s.resource)"
            let params = Self.listParams + [Self.query("pretty", "string")]
            set(watchBase, ["get": op.make("watch\(gv)\(scope)\(s.kind)List", "watchlist", [], [(200, Self.ref(Self.watchEvent))], produces: Self.watchable)],
                scopeParams + params)
            set("\(watchBase)/{name}", ["get": op.make("watch\(gv)\(scope)\(s.kind)", "watch", [], [(200, Self.ref(Self.watchEvent))], produces: Self.watchable)],
                [Self.pathParam("name")] + scopeParams + params)
            if s.namespaced {
                set("\(s.urlPrefix)/watch/\(s.resource)",
                    ["get": op.make("watch\(gv)\(s.kind)ListForAllNamespaces", "watchlist", [], [(200, Self.ref(Self.watchEvent))], produces: Self.watchable)],
                    params)
            }
        }
        for sub in s.subresources {
            addSubresource(sub, of: s, base: "\(base)/{name}", params: itemParams, kindName: kindName)
        }
        addGroupVersionRoot(s)
    }

    /// `GET /apis/<group>/<version>/`: the group/version's resource list.
    mutating func addGroupVersionRoot(_ s: ServedKind) {
        let path = s.urlPrefix + "/"
        guard paths[path] == nil else { return }
        var op = Op(kind: nil, tag: s.tag)
        paths[path] = ["get": op.make("get\(s.operationGroupVersion)APIResources", nil, [], [(200, Self.ref(Self.resourceList))])]
    }

    mutating func set(_ path: String, _ operations: JSON, _ parameters: [JSON]) {
        guard !operations.members.isEmpty else { return }
        var item = operations
        item["parameters"] = .array(parameters)
        paths[path] = item
    }

    /// Builds operations for one resource (or none, for group/version roots).
    struct Op {
        let kind: ServedKind?
        let tag: String
        var gvk: GroupVersionKind?

        init(kind: ServedKind?, tag: String) {
            self.kind = kind
            self.tag = tag
            gvk = kind?.gvk
        }

        mutating func make(_ id: String, _ action: String?, _ parameters: [JSON], _ responses: [(Int, JSON?)],
                           consumes: [String] = ["*/*"], produces: [String] = OpenAPIPathBuilder.jsonYAML) -> JSON {
            var responseMap: [String: JSON] = ["401": ["description": "Unauthorized"]]
            for (code, schema) in responses {
                var response: JSON = ["description": .string(Self.describe(code))]
                if let schema { response["schema"] = schema }
                responseMap[String(code)] = response
            }
            var op: JSON = [
                "operationId": .string(id), "consumes": .array(consumes.map { .string($0) }),
                "produces": .array(produces.map { .string($0) }), "schemes": ["https"],
                "tags": [.string(tag)], "responses": .object(responseMap),
            ]
            if !parameters.isEmpty { op["parameters"] = .array(parameters) }
            if let action { op["x-kubernetes-action"] = .string(action) }
            if let gvk, action != nil { op["x-kubernetes-group-version-kind"] = gvk.json }
            return op
        }

        static func describe(_ code: Int) -> String {
            switch code {
            case 201: return "Created"
            case 202: return "Accepted"
            default: return "OK"
            }
        }
    }
}
