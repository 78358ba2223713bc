import SkiffClient
import SkiffModel

/// Where the HPA controller reads Pods' resource usage: the resource metrics API.
public protocol PodMetricsSource: Sendable {
    /// The usage of `resource` (`cpu` in millicores, `memory` in bytes) of each Pod in
    /// `namespace` that `selector` matches, summed over its containers, by Pod name.
    func podUsage(namespace: String, selector: String, resource: String) async throws -> [String: Int64]
}

/// `metrics.k8s.io/v1beta1` PodMetrics through the API server (what metrics-server serves).
public struct ResourceMetricsAPI: PodMetricsSource {
    let client: Client

    public init(client: Client) { self.client = client }

    public func podUsage(namespace: String, selector: String, resource: String) async throws -> [String: Int64] {
        let list = try await client.request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/\(namespace)/pods",
                                            query: selector.isEmpty ? [] : [("labelSelector", selector)])
        var usage: [String: Int64] = [:]
        for item in list["items"]?.array ?? [] {
            guard let name = item["metadata", "name"]?.string else { continue }
            var total: Int64 = 0
            for container in item["containers"]?.array ?? [] {
                guard let text = container["usage", resource]?.string, let q = try? Quantity(text) else { continue }
                total += resource == "cpu" ? q.milliValue : q.value
            }
            usage[name] = total
        }
        return usage
    }
}
