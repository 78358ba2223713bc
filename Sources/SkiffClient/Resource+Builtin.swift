/// The built-in resources components use, at the versions Skiff serves.
extension Resource {
    public static let namespaces = Resource(version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false)
    public static let nodes = Resource(version: "v1", plural: "nodes", kind: "Node", namespaced: false)
    public static let pods = Resource(version: "v1", plural: "pods", kind: "Pod", namespaced: true)
    public static let services = Resource(version: "v1", plural: "services", kind: "Service", namespaced: true)
    public static let endpoints = Resource(version: "v1", plural: "endpoints", kind: "Endpoints", namespaced: true)
    public static let configMaps = Resource(version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true)
    public static let secrets = Resource(version: "v1", plural: "secrets", kind: "Secret", namespaced: true)
    public static let serviceAccounts = Resource(version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true)
    public static let events = Resource(version: "v1", plural: "events", kind: "Event", namespaced: true)
    public static let persistentVolumes = Resource(version: "v1", plural: "persistentvolumes", kind: "PersistentVolume", namespaced: false)
    public static let persistentVolumeClaims = Resource(version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true)
    public static let resourceQuotas = Resource(version: "v1", plural: "resourcequotas", kind: "ResourceQuota", namespaced: true)
    public static let limitRanges = Resource(version: "v1", plural: "limitranges", kind: "LimitRange", namespaced: true)

    public static let deployments = Resource(group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true)
    public static let replicaSets = Resource(group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet", namespaced: true)
    public static let statefulSets = Resource(group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", namespaced: true)
    public static let daemonSets = Resource(group: "apps", version: "v1", plural: "daemonsets", kind: "DaemonSet", namespaced: true)
    public static let controllerRevisions = Resource(group: "apps", version: "v1", plural: "controllerrevisions", kind: "ControllerRevision", namespaced: true)

    public static let jobs = Resource(group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true)
    public static let cronJobs = Resource(group: "batch", version: "v1", plural: "cronjobs", kind: "CronJob", namespaced: true)

    public static let leases = Resource(group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true)
    public static let endpointSlices = Resource(group: "discovery.k8s.io", version: "v1", plural: "endpointslices", kind: "EndpointSlice", namespaced: true)
    public static let priorityClasses = Resource(group: "scheduling.k8s.io", version: "v1", plural: "priorityclasses", kind: "PriorityClass", namespaced: false)
    public static let podDisruptionBudgets = Resource(group: "policy", version: "v1", plural: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true)
    public static let storageClasses = Resource(group: "storage.k8s.io", version: "v1", plural: "storageclasses", kind: "StorageClass", namespaced: false)
}
