/// The resource metrics API's types (`metrics.k8s.io/v1beta1`), which Kubernetes' own OpenAPI
/// document does not carry (metrics-server publishes them): added to the built-in schema so the
/// API server's OpenAPI describes them and `kubectl explain nodemetrics` works.
extension Schema {
    static let metricsDefinitions: [String: JSON] = {
        let prefix = "io.k8s.metrics.pkg.apis.metrics.v1beta1."
        func ref(_ name: String) -> JSON { ["$ref": .string("#/definitions/" + name)] }
        let quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"
        let usage: JSON = ["type": "object", "additionalProperties": ref(quantity),
                           "description": "The resources used, by name: cpu (in cores) and memory (the working set, in bytes)."]
        let typeMeta: [String: JSON] = [
            "apiVersion": ["type": "string", "description": "The versioned schema of this representation of an object."],
            "kind": ["type": "string", "description": "The REST resource this object represents."],
        ]
        func gvk(_ kind: String) -> JSON { [["group": "metrics.k8s.io", "version": "v1beta1", "kind": .string(kind)]] }
        func object(_ kind: String, _ description: String, _ properties: [String: JSON], required: [String]) -> JSON {
            var all = typeMeta
            for (k, v) in properties { all[k] = v }
            return ["type": "object", "description": .string(description), "properties": .object(all),
                    "required": .array(required.map(JSON.string)), "x-kubernetes-group-version-kind": gvk(kind)]
        }
        func list(_ kind: String, _ item: String) -> JSON {
            object(kind + "List", "A list of \(item) objects.",
                   ["metadata": ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
                    "items": ["type": "array", "items": ref(prefix + item), "description": .string("The \(item) objects.")]], required: ["items"])
        }
        let window: JSON = ["type": "string", "description": "The time window the usage was measured over: from timestamp - window to timestamp."]
        let timestamp: JSON = ["description": "The end of the window the usage was measured over.",
                               "allOf": [ref("io.k8s.apimachinery.pkg.apis.meta.v1.Time")]]
        return [
            prefix + "NodeMetrics": object("NodeMetrics", "The resource usage of a node, as the resource metrics API reports it.",
                                           ["metadata": ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), "timestamp": timestamp,
                                            "window": window, "usage": usage], required: ["timestamp", "window", "usage"]),
            prefix + "NodeMetricsList": list("NodeMetrics", "NodeMetrics"),
            prefix + "PodMetrics": object("PodMetrics", "The resource usage of a Pod's containers, as the resource metrics API reports it.",
                                          ["metadata": ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), "timestamp": timestamp,
                                           "window": window,
                                           "containers": ["type": "array", "items": ref(prefix + "ContainerMetrics"),
                                                          "description": "The usage of each container of the Pod."]],
                                          required: ["timestamp", "window", "containers"]),
            prefix + "PodMetricsList": list("PodMetrics", "PodMetrics"),
            prefix + "ContainerMetrics": ["type": "object", "description": "The resource usage of one container.",
                                          "properties": ["name": ["type": "string", "description": "The container's name."], "usage": usage],
                                          "required": ["name", "usage"]],
        ]
    }()
}
