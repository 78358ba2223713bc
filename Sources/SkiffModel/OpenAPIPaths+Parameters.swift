/// Parameters and subresource operations of the generated OpenAPI v2 paths.
extension OpenAPIPathBuilder {
    static func ref(_ definition: String?) -> JSON? {
        definition.map { ["$ref": .string("#/definitions/" + $0)] }
    }

    static func query(_ name: String, _ type: String) -> JSON {
        ["in": "query", "name": .string(name), "type": .string(type), "uniqueItems": true]
    }

    static func pathParam(_ name: String) -> JSON {
        ["in": "path", "name": .string(name), "required": true, "type": "string", "uniqueItems": true]
    }

    static func body(_ definition: String?, required: Bool) -> JSON {
        var body: JSON = ["in": "body", "name": "body", "schema": ref(definition) ?? ["type": "object"]]
        if required { body["required"] = true }
        return body
    }

    static let listParams: [JSON] = [
        query("allowWatchBookmarks", "boolean"), query("continue", "string"), query("fieldSelector", "string"),
        query("labelSelector", "string"), query("limit", "integer"), query("resourceVersion", "string"),
        query("resourceVersionMatch", "string"), query("sendInitialEvents", "boolean"),
        query("timeoutSeconds", "integer"), query("watch", "boolean"),
    ]
    static let writeParams: [JSON] = [query("dryRun", "string"), query("fieldManager", "string"), query("fieldValidation", "string")]
    static let patchParams: [JSON] = writeParams + [query("force", "boolean")]
    static let deleteParams: [JSON] = [
        query("dryRun", "string"), query("gracePeriodSeconds", "integer"),
        query("orphanDependents", "boolean"), query("propagationPolicy", "string"),
    ]
    static let deleteCollectionParams: [JSON] = [
        query("continue", "string"), query("dryRun", "string"), query("fieldSelector", "string"),
        query("gracePeriodSeconds", "integer"), query("labelSelector", "string"), query("limit", "integer"),
        query("orphanDependents", "boolean"), query("propagationPolicy", "string"), query("resourceVersion", "string"),
        query("resourceVersionMatch", "string"), query("sendInitialEvents", "boolean"), query("timeoutSeconds", "integer"),
    ]
    static let logParams: [JSON] = [
        query("container", "string"), query("follow", "boolean"), query("insecureSkipTLSVerifyBackend", "boolean"),
        query("limitBytes", "integer"), query("previous", "boolean"), query("sinceSeconds", "integer"),
        query("tailLines", "integer"), query("timestamps", "boolean"),
    ]
    static let execParams: [JSON] = [
        query("command", "string"), query("container", "string"), query("stderr", "boolean"),
        query("stdin", "boolean"), query("stdout", "boolean"), query("tty", "boolean"),
    ]

    /// The operations of a subresource, as Kubernetes names them: `status` and `scale`
    /// (get/put/patch), `binding`, `eviction`, `token` (post of another kind), `finalize`
    /// (put), `log` (get), `exec`, `attach`, `portforward`, `proxy` (connect); any other name
    /// is described like `status`.
    mutating func addSubresource(_ sub: String, of s: ServedKind, base: String, params: [JSON], kindName: String?) {
        let names = ["ephemeralcontainers": "EphemeralContainers", "portforward": "PortForward"]
        let title = names[sub] ?? ServedKind.capitalized(sub)
        let gv = s.operationGroupVersion
        let scope = s.namespaced ? "Namespaced" : ""
        let suffix = "\(scope)\(s.kind)\(title)"
        var op = Op(kind: s, tag: s.tag)
        let pathParams = params.filter { $0["name"] != "pretty" }
        let pretty = [Self.query("pretty", "string")]
        let string: JSON = ["type": "string"]

        func other(_ group: String, _ version: String, _ kind: String) -> (GroupVersionKind, String?) {
            let gvk = GroupVersionKind(group: group, version: version, kind: kind)
            return (gvk, schema.definitionName(for: gvk))
        }
        switch sub {
        case "binding", "eviction", "token":
            let (gvk, def) = sub == "binding" ? other("", "v1", "Binding")
                : sub == "eviction" ? other("policy", "v1", "Eviction") : other("authentication.k8s.io", "v1", "TokenRequest")
            op.gvk = gvk
            let post = op.make("create\(gv)\(suffix)", "post", [Self.body(def, required: true)] + Self.writeParams,
                               [(200, Self.ref(def)), (201, Self.ref(def)), (202, Self.ref(def))])
            set("\(base)/\(sub)", ["post": post], pathParams + pretty)
        case "finalize":
            let put = op.make("replace\(gv)\(suffix)", "put", [Self.body(kindName, required: true)] + Self.writeParams,
                              [(200, Self.ref(kindName)), (201, Self.ref(kindName))])
            set("\(base)/\(sub)", ["put": put], pathParams + pretty)
        case "log":
            let get = op.make("read\(gv)\(suffix)", "get", [], [(200, string)], produces: ["text/plain"] + Self.jsonYAML)
            set("\(base)/\(sub)", ["get": get], pathParams + pretty + Self.logParams)
        case "exec", "attach", "portforward", "proxy":
            let options = ["exec": "PodExecOptions", "attach": "PodAttachOptions", "portforward": "PodPortForwardOptions"][sub]
                ?? "\(s.kind)ProxyOptions"
            op.gvk = GroupVersionKind(group: s.group, version: s.version, kind: options)
            var item: JSON = [:]
            let methods = sub == "proxy" ? ["Delete", "Get", "Head", "Options", "Patch", "Post", "Put"] : ["Get", "Post"]
            for method in methods {
                item[method.lowercased()] = op.make("connect\(gv)\(method)\(suffix)", "connect", [], [(200, string)])
            }
            let extra = sub == "exec" || sub == "attach" ? Self.execParams.filter { sub == "exec" || $0["name"] != "command" }
                : sub == "portforward" ? [Self.query("ports", "integer")] : [Self.query("path", "string")]
            set("\(base)/\(sub)", item, pathParams + extra)
        default:
            var (gvk, def) = (s.gvk, kindName)
            if sub == "scale" { (gvk, def) = other("autoscaling", "v1", "Scale") }
            op.gvk = gvk
            let item: JSON = [
                "get": op.make("read\(gv)\(suffix)", "get", [], [(200, Self.ref(def))]),
                "put": op.make("replace\(gv)\(suffix)", "put", [Self.body(def, required: true)] + Self.writeParams,
                               [(200, Self.ref(def)), (201, Self.ref(def))]),
                "patch": op.make("patch\(gv)\(suffix)", "patch", [Self.body(Self.patch, required: true)] + Self.patchParams,
                                 [(200, Self.ref(def)), (201, Self.ref(def))], consumes: Self.patchTypes),
            ]
            set("\(base)/\(sub)", item, pathParams + pretty)
        }
    }
}
