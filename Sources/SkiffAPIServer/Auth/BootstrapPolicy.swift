import SkiffModel

/// The ClusterRoles and ClusterRoleBindings every cluster starts with (kube-apiserver's RBAC
/// bootstrap policy, the part users rely on): `cluster-admin` for `system:masters`; the
/// user-facing `admin`, `edit` and `view` (whole rule lists here, not aggregated from other
/// ClusterRoles); discovery, self-review and public information for every authenticated user,
/// and public information (health, version) for everyone.
public enum BootstrapPolicy {
    static func rule(_ groups: [String], _ resources: [String], _ verbs: [String]) -> JSON {
        ["apiGroups": .array(groups.map(JSON.string)), "resources": .array(resources.map(JSON.string)), "verbs": .array(verbs.map(JSON.string))]
    }

    static func paths(_ urls: [String], _ verbs: [String] = ["get"]) -> JSON {
        ["nonResourceURLs": .array(urls.map(JSON.string)), "verbs": .array(verbs.map(JSON.string))]
    }

    static let read = ["get", "list", "watch"]
    static let write = ["create", "delete", "deletecollection", "patch", "update"]

    /// What `view` may read: the workload, network and batch objects of a namespace; not Secrets.
    static let viewRules: [JSON] = [
        rule([""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log", "pods/status",
                    "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts",
                    "services", "services/status", "bindings", "events", "limitranges", "resourcequotas", "resourcequotas/status",
                    "namespaces", "namespaces/status"], read),
        rule(["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
                        "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"], read),
        rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], read),
        rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], read),
        rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], read),
        rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], read),
        rule(["discovery.k8s.io"], ["endpointslices"], read),
        rule(["metrics.k8s.io"], ["pods", "nodes"], read),
    ]

    /// What `edit` adds: writing those objects, Secrets, and running commands in Pods.
    static let editRules: [JSON] = viewRules + [
        rule([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "pods/eviction", "configmaps", "endpoints",
                    "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts",
                    "services", "services/proxy"], write),
        rule([""], ["secrets"], read),
        rule([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"], ["get"]),
        rule([""], ["serviceaccounts/token"], ["create"]),
        rule(["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale",
                        "statefulsets", "statefulsets/scale"], write),
        rule(["autoscaling"], ["horizontalpodautoscalers"], write),
        rule(["batch"], ["cronjobs", "jobs"], write),
        rule(["policy"], ["poddisruptionbudgets"], write),
        rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], write),
        rule(["discovery.k8s.io"], ["endpointslices"], write),
    ]

    /// What `admin` adds: the namespace's Roles and RoleBindings.
    static let adminRules: [JSON] = editRules + [
        rule(["rbac.authorization.k8s.io"], ["rolebindings", "roles"], read + write),
        rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
    ]

    static let discoveryPaths = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
                                 "/version", "/version/"]
    static let publicPaths = ["/healthz", "/livez", "/readyz", "/version", "/version/"]

    static func aggregateTo(_ role: String) -> (key: String, value: String) { ("rbac.authorization.k8s.io/aggregate-to-\(role)", "true") }

    /// Name, rules, extra labels, and the label an aggregated role gathers (`aggregationRule`).
    /// As in Kubernetes, `view` is aggregated into `edit` and `edit` into `admin`, and each
    /// gathers the `system:aggregate-to-*` role holding its own rules; the aggregated roles are
    /// created with their rules already filled in.
    public static let clusterRoles: [(name: String, rules: [JSON], labels: [(key: String, value: String)], aggregates: String?)] = [
        ("cluster-admin", [rule(["*"], ["*"], ["*"]), paths(["*"], ["*"])], [], nil),
        ("admin", adminRules, [], "admin"),
        ("edit", editRules, [aggregateTo("admin")], "edit"),
        ("view", viewRules, [aggregateTo("edit")], "view"),
        ("system:aggregate-to-admin", Array(adminRules.dropFirst(editRules.count)), [aggregateTo("admin")], nil),
        ("system:aggregate-to-edit", Array(editRules.dropFirst(viewRules.count)), [aggregateTo("edit")], nil),
        ("system:aggregate-to-view", viewRules, [aggregateTo("view")], nil),
        ("system:discovery", [paths(discoveryPaths)], [], nil),
        ("system:public-info-viewer", [paths(publicPaths)], [], nil),
        ("system:basic-user", [rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
                               rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"])], [], nil),
    ]

    /// (binding and role name, the groups it binds)
    public static let clusterRoleBindings: [(name: String, groups: [String])] = [
        ("cluster-admin", ["system:masters"]),
        ("system:discovery", ["system:authenticated"]),
        ("system:basic-user", ["system:authenticated"]),
        ("system:public-info-viewer", ["system:authenticated", "system:unauthenticated"]),
    ]

    static let labels: JSON = ["kubernetes.io/bootstrapping": "rbac-defaults"]
    static let annotations: JSON = ["rbac.authorization.kubernetes.io/autoupdate": "true"]

    /// Creates whichever of them is missing (an existing one, perhaps edited, is kept).
    public static func ensure(store: ResourceStore, registry: Registry) async throws {
        guard let roles = registry.lookup(GroupResource(group: "rbac.authorization.k8s.io", resource: "clusterroles")),
              let bindings = registry.lookup(GroupResource(group: "rbac.authorization.k8s.io", resource: "clusterrolebindings")) else { return }
        for (name, rules, extraLabels, aggregates) in clusterRoles {
            var roleLabels = labels
            for (k, v) in extraLabels { roleLabels[k] = .string(v) }
            var role: JSON = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                              "metadata": ["name": .string(name), "labels": roleLabels, "annotations": annotations], "rules": .array(rules)]
            if let aggregates {
                let (k, v) = aggregateTo(aggregates)
                role["aggregationRule"] = ["clusterRoleSelectors": [["matchLabels": [k: .string(v)]]]]
            }
            try await createIfMissing(store, roles, role)
        }
        for (name, groups) in clusterRoleBindings {
            let subjects: [JSON] = groups.map { ["apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": .string($0)] }
            try await createIfMissing(store, bindings, ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                                                        "metadata": ["name": .string(name), "labels": labels, "annotations": annotations],
                                                        "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(name)],
                                                        "subjects": .array(subjects)])
        }
    }

    static func createIfMissing(_ store: ResourceStore, _ type: ResourceType, _ object: JSON) async throws {
        do {
            _ = try await store.get(type, namespace: nil, name: object["metadata", "name"]?.string ?? "")
        } catch {
            guard error.code == 404 else { throw error }
            do { _ = try await store.create(type, object, dryRun: false) } catch { if error.code != 409 { throw error } }
        }
    }
}
