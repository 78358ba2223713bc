import SkiffModel

/// A kind whose `status` is a subresource and that has no further rules.
struct StatusStrategy: StatusSubresourceStrategy {}

/// Every built-in resource Skiff serves.
public enum BuiltinKinds {
    public static let all: [ResourceType] = core + apps + others

    static let core: [ResourceType] = [
        ResourceType(group: "", version: "v1", kind: "Namespace", plural: "namespaces", shortNames: ["ns"], namespaced: false,
                     subresources: ["status", "finalize"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
                     strategy: NamespaceStrategy()),
        ResourceType(group: "", version: "v1", kind: "Pod", plural: "pods", shortNames: ["po"], categories: ["all"],
                     subresources: ["status", "binding", "eviction", "log", "exec", "attach", "portforward"], strategy: PodStrategy()),
        ResourceType(group: "", version: "v1", kind: "Service", plural: "services", shortNames: ["svc"], categories: ["all"],
                     subresources: ["status"], verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                     strategy: ServiceStrategy()),
        ResourceType(group: "", version: "v1", kind: "Endpoints", plural: "endpoints", singular: "endpoints", shortNames: ["ep"],
                     strategy: EndpointsStrategy()),
        ResourceType(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"], strategy: ConfigMapStrategy()),
        ResourceType(group: "", version: "v1", kind: "Secret", plural: "secrets", strategy: SecretStrategy()),
        ResourceType(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", shortNames: ["sa"],
                     subresources: ["token"], strategy: ServiceAccountStrategy()),
        ResourceType(group: "", version: "v1", kind: "Node", plural: "nodes", shortNames: ["no"], namespaced: false,
                     subresources: ["status", "proxy"], strategy: NodeStrategy()),
        ResourceType(group: "", version: "v1", kind: "Event", plural: "events", shortNames: ["ev"], strategy: EventStrategy()),
        ResourceType(group: "", version: "v1", kind: "PersistentVolume", plural: "persistentvolumes", shortNames: ["pv"], namespaced: false,
                     subresources: ["status"], strategy: ColumnsStrategy.persistentVolume),
        ResourceType(group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", shortNames: ["pvc"],
                     subresources: ["status"], strategy: ColumnsStrategy.persistentVolumeClaim),
        ResourceType(group: "", version: "v1", kind: "LimitRange", plural: "limitranges", shortNames: ["limits"], strategy: CreatedAtStrategy()),
        ResourceType(group: "", version: "v1", kind: "ResourceQuota", plural: "resourcequotas", shortNames: ["quota"],
                     subresources: ["status"], strategy: ColumnsStrategy.resourceQuota),
    ]

    static let apps: [ResourceType] = [
        ResourceType(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", shortNames: ["deploy"], categories: ["all"],
                     subresources: ["status", "scale"], strategy: WorkloadStrategy(kind: .deployment),
                     otherVersions: [DeploymentV1Beta1.conversion]),
        ResourceType(group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", shortNames: ["rs"], categories: ["all"],
                     subresources: ["status", "scale"], strategy: WorkloadStrategy(kind: .replicaSet)),
        ResourceType(group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", shortNames: ["sts"], categories: ["all"],
                     subresources: ["status", "scale"], strategy: WorkloadStrategy(kind: .statefulSet)),
        ResourceType(group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", shortNames: ["ds"], categories: ["all"],
                     subresources: ["status"], strategy: WorkloadStrategy(kind: .daemonSet)),
        ResourceType(group: "apps", version: "v1", kind: "ControllerRevision", plural: "controllerrevisions", strategy: ColumnsStrategy.controllerRevision),
    ]

    static let others: [ResourceType] = [
        ResourceType(group: "batch", version: "v1", kind: "Job", plural: "jobs", categories: ["all"], subresources: ["status"],
                     strategy: JobStrategy()),
        ResourceType(group: "batch", version: "v1", kind: "CronJob", plural: "cronjobs", shortNames: ["cj"], categories: ["all"],
                     subresources: ["status"], strategy: CronJobStrategy()),
        ResourceType(group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers",
                     shortNames: ["hpa"], categories: ["all"], subresources: ["status"], strategy: HorizontalPodAutoscalerStrategy(),
                     otherVersions: [HorizontalPodAutoscalerStrategy.v1]),
        ResourceType(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", strategy: ColumnsStrategy.lease),
        EventsV1.type,
        ResourceType(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", strategy: ColumnsStrategy.endpointSlice),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles",
                     strategy: RBACStrategy(table: CreatedAtStrategy())),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false,
                     strategy: RBACStrategy(table: CreatedAtStrategy())),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings",
                     strategy: RBACStrategy(table: ColumnsStrategy.roleBinding)),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false,
                     strategy: RBACStrategy(table: ColumnsStrategy.roleBinding)),
        ResourceType(group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", shortNames: ["pdb"],
                     subresources: ["status"], strategy: ColumnsStrategy.podDisruptionBudget),
        ResourceType(group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass", plural: "priorityclasses", shortNames: ["pc"], namespaced: false,
                     strategy: ColumnsStrategy.priorityClass),
        ResourceType(group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses", shortNames: ["ing"],
                     subresources: ["status"], strategy: ColumnsStrategy.ingress),
        ResourceType(group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", plural: "networkpolicies", shortNames: ["netpol"],
                     strategy: ColumnsStrategy.networkPolicy),
        ResourceType(group: "storage.k8s.io", version: "v1", kind: "StorageClass", plural: "storageclasses", shortNames: ["sc"], namespaced: false,
                     strategy: ColumnsStrategy.storageClass),
        ResourceType(group: "authentication.k8s.io", version: "v1", kind: "TokenReview", plural: "tokenreviews", namespaced: false,
                     verbs: ["create"]),
        ResourceType(group: "authentication.k8s.io", version: "v1", kind: "SelfSubjectReview", plural: "selfsubjectreviews", namespaced: false,
                     verbs: ["create"]),
        ResourceType(group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", plural: "selfsubjectaccessreviews",
                     namespaced: false, verbs: ["create"]),
        ResourceType(group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectRulesReview", plural: "selfsubjectrulesreviews",
                     namespaced: false, verbs: ["create"]),
        ResourceType(group: "authorization.k8s.io", version: "v1", kind: "SubjectAccessReview", plural: "subjectaccessreviews",
                     namespaced: false, verbs: ["create"]),
        ResourceType(group: "authorization.k8s.io", version: "v1", kind: "LocalSubjectAccessReview", plural: "localsubjectaccessreviews",
                     verbs: ["create"]),
        // Made on request from the node agents' stats (APIServer+Metrics), never stored.
        ResourceType(group: "metrics.k8s.io", version: "v1beta1", kind: "NodeMetrics", plural: "nodes", namespaced: false,
                     verbs: ["get", "list"]),
        ResourceType(group: "metrics.k8s.io", version: "v1beta1", kind: "PodMetrics", plural: "pods", verbs: ["get", "list"]),
        ResourceType(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions",
                     shortNames: ["crd", "crds"], namespaced: false, categories: ["api-extensions"], subresources: ["status"],
                     strategy: CustomResourceDefinitionStrategy()),
    ]
}
