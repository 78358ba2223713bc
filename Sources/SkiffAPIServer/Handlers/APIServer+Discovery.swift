import SkiffModel

/// The discovery documents kubectl reads to map kinds to resources: `/api`, `/apis`, per group and
/// group-version, and the aggregated form (apidiscovery.k8s.io v2 and v2beta1) newer clients ask for.
extension APIServer {
    static let subresourceKinds: [String: (group: String, version: String, kind: String, verbs: [String])] = [
        "scale": ("autoscaling", "v1", "Scale", ["get", "patch", "update"]),
        "binding": ("", "v1", "Binding", ["create"]),
        "eviction": ("policy", "v1", "Eviction", ["create"]),
        "log": ("", "v1", "Pod", ["get"]),
        "exec": ("", "v1", "PodExecOptions", ["create", "get"]),
        "attach": ("", "v1", "PodAttachOptions", ["create", "get"]),
        "portforward": ("", "v1", "PodPortForwardOptions", ["create", "get"]),
        "proxy": ("", "v1", "PodProxyOptions", ["create", "delete", "get", "head", "options", "patch", "put"]),
        "nodes/proxy": ("", "v1", "NodeProxyOptions", ["create", "delete", "get", "head", "options", "patch", "put"]),
        "finalize": ("", "v1", "Namespace", ["update"]),
        "token": ("authentication.k8s.io", "v1", "TokenRequest", ["create"]),
    ]

    func discovery(_ request: Request, _ segs: [String]) throws -> Response {
        let aggregated = Self.aggregatedVersion(request.headers.first(name: "accept") ?? "")
        let types = registry.all
        if segs == ["api"] {
            if let v = aggregated { return aggregatedList(types.filter { $0.group.isEmpty }, version: v) }
            return .json(["kind": "APIVersions", "versions": ["v1"],
                          "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": ""]]])
        }
        if segs == ["apis"] {
            if let v = aggregated { return aggregatedList(types.filter { !$0.group.isEmpty }, version: v) }
            let groups = groupVersions(types.filter { !$0.group.isEmpty })
            return .json(["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map { groupJSON($0.0, $0.1) })])
        }
        if segs.count == 2, segs[0] == "apis" {
            guard let (g, versions) = groupVersions(types.filter { $0.group == segs[1] }).first else { throw APIError.pathNotFound() }
            var doc = groupJSON(g, versions)
            doc["kind"] = "APIGroup"
            doc["apiVersion"] = "v1"
            return .json(doc)
        }
        let (group, version) = segs[0] == "api" ? ("", segs[1]) : (segs[1], segs.count > 2 ? segs[2] : "")
        let served = types.filter { $0.group == group && $0.versions.contains(version) }
        guard segs.count == (segs[0] == "api" ? 2 : 3), !served.isEmpty else { throw APIError.pathNotFound() }
        var resources: [JSON] = []
        for t in served {
            var r: JSON = ["name": .string(t.plural), "singularName": .string(t.singular), "namespaced": .bool(t.namespaced),
                           "kind": .string(t.kind), "verbs": .array(t.verbs.map { .string($0) })]
            if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map { .string($0) }) }
            if !t.categories.isEmpty { r["categories"] = .array(t.categories.map { .string($0) }) }
            resources.append(r)
            for sub in t.subresources {
                var s: JSON = ["name": .string("\(t.plural)/\(sub)"), "singularName": "", "namespaced": .bool(t.namespaced)]
                if let k = (Self.subresourceKinds["\(t.plural)/\(sub)"] ?? Self.subresourceKinds[sub]) {
                    s["kind"] = .string(k.kind)
                    s["verbs"] = .array(k.verbs.map { .string($0) })
                    if k.group != group || k.version != version {
                        s["group"] = .string(k.group)
                        s["version"] = .string(k.version)
                    }
                } else {
                    s["kind"] = .string(t.kind)
                    s["verbs"] = ["get", "patch", "update"]
                }
                resources.append(s)
            }
        }
        return .json(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
                      "resources": .array(resources)])
    }

    /// Groups in a stable order with their versions, the preferred (storage) version first.
    func groupVersions(_ types: [ResourceType]) -> [(String, [String])] {
        var order: [String] = []
        var versions: [String: [String]] = [:]
        for t in types {
            if versions[t.group] == nil { order.append(t.group) }
            for v in t.versions where !(versions[t.group]?.contains(v) ?? false) {
                versions[t.group, default: []].append(v)
            }
        }
        return order.map { g in (g, versions[g]!.sorted { Self.versionPriority($0) > Self.versionPriority($1) }) }
    }

    /// Kubernetes' version ordering: GA over beta over alpha, higher numbers first.
    static func versionPriority(_ v: String) -> Int {
        let digits = v.dropFirst().prefix { $0.isNumber }
        let major = Int(digits) ?? 0
        let rest = v.dropFirst(1 + digits.count)
        if rest.isEmpty { return 3_000_000 + major * 1000 }
        let minor = Int(rest.drop { !$0.isNumber }) ?? 0
        if rest.hasPrefix("beta") { return 2_000_000 + major * 1000 + minor }
        return 1_000_000 + major * 1000 + minor
    }

    func groupJSON(_ group: String, _ versions: [String]) -> JSON {
        let vs: [JSON] = versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
        return ["name": .string(group), "versions": .array(vs), "preferredVersion": vs[0]]
    }

    static func aggregatedVersion(_ accept: String) -> String? {
        for option in accept.split(separator: ",") {
            let params = option.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard params.contains("g=apidiscovery.k8s.io"), params.contains("as=APIGroupDiscoveryList") else { continue }
            if params.contains("v=v2") { return "v2" }
            if params.contains("v=v2beta1") { return "v2beta1" }
        }
        return nil
    }

    func aggregatedList(_ types: [ResourceType], version apiVersion: String) -> Response {
        var items: [JSON] = []
        for (group, versions) in groupVersions(types) {
            var vs: [JSON] = []
            for v in versions {
                let resources: [JSON] = types.filter { $0.group == group && $0.versions.contains(v) }.map { t in
                    var r: JSON = ["resource": .string(t.plural), "singularResource": .string(t.singular),
                                   "scope": .string(t.namespaced ? "Namespaced" : "Cluster"),
                                   "responseKind": ["group": .string(group), "version": .string(v), "kind": .string(t.kind)],
                                   "verbs": .array(t.verbs.map { .string($0) })]
                    if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map { .string($0) }) }
                    if !t.categories.isEmpty { r["categories"] = .array(t.categories.map { .string($0) }) }
                    if !t.subresources.isEmpty {
                        r["subresources"] = .array(t.subresources.map { sub in
                            let k = (Self.subresourceKinds["\(t.plural)/\(sub)"] ?? Self.subresourceKinds[sub])
                            return ["subresource": .string(sub),
                                    "responseKind": ["group": .string(k?.group ?? group), "version": .string(k?.version ?? v), "kind": .string(k?.kind ?? t.kind)],
                                    "verbs": .array((k?.verbs ?? ["get", "patch", "update"]).map { .string($0) })]
                        })
                    }
                    return r
                }
                vs.append(["version": .string(v), "resources": .array(resources), "freshness": "Current"])
            }
            items.append(["metadata": ["name": .string(group), "creationTimestamp": .null], "versions": .array(vs)])
        }
        let contentType = "application/json;g=apidiscovery.k8s.io;v=\(apiVersion);as=APIGroupDiscoveryList"
        return .json(["kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(apiVersion)"),
                      "metadata": [:], "items": .array(items)], contentType: contentType)
    }
}
