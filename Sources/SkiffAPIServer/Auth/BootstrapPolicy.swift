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

    public static let clusterRoles: [(name: String, rules: [JSON])] = [
        ("cluster-admin", [rule(["*"], ["*"], ["*"]), paths(["*"], ["*"])]),
        ("admin", adminRules),
        ("edit", editRules),
        ("view", viewRules),
        ("system:discovery", [paths(discoveryPaths)]),
        ("system:public-info-viewer", [paths(publicPaths)]),
        ("system:basic-user", [rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
                               rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"])]),
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
        for (name, rules) in clusterRoles {
            try await createIfMissing(store, roles, ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                                     "metadata": ["name": .string(name), "labels": labels, "annotations": annotations],
                                                     "rules": .array(rules)])
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
