import SkiffModel

/// Objects every cluster has from the start.
public enum Bootstrap {
    /// The four standard namespaces.
    public static let namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    public static func ensureNamespaces(store: ResourceStore, registry: Registry) async throws {
        guard let type = registry.lookup(GroupResource(group: "", resource: "namespaces")) else { return }
        for ns in namespaces {
            if await store.namespaceExists(ns) != nil { continue }
            let object: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]]
            do {
                _ = try await store.create(type, object, dryRun: false)
            } catch {
                if error.code != 409 { throw error }
            }
        }
    }

    /// The `kubernetes` Service in `default` (the first cluster IP, port 443) and its Endpoints,
    /// which point at the API server.
    public static func ensureKubernetesService(store: ResourceStore, address: String, port: Int) async throws {
        guard let svcType = store.registry.lookup(GroupResource(group: "", resource: "services")),
              let epType = store.registry.lookup(GroupResource(group: "", resource: "endpoints")),
              let ip = Allocator.firstIPv4(store.allocators.serviceCIDR) else { return }
        let service: JSON = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["component": "apiserver", "provider": "kubernetes"]],
            "spec": ["type": "ClusterIP", "clusterIP": .string(ip),
                     "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(Int64(port))]]],
        ]
        do { _ = try await store.create(svcType, service, dryRun: false) } catch { if error.code != 409 { throw error } }
        let endpoints: JSON = [
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
            "subsets": [["addresses": [["ip": .string(address)]], "ports": [["name": "https", "port": .int(Int64(port)), "protocol": "TCP"]]]],
        ]
        _ = try await store.update(epType, namespace: "default", name: "kubernetes", endpoints, dryRun: false)
        // The API server's EndpointSlice, as kube-apiserver's endpoint reconciler writes it.
        guard let sliceType = store.registry.lookup(GroupResource(group: "discovery.k8s.io", resource: "endpointslices")) else { return }
        let slice: JSON = [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["kubernetes.io/service-name": "kubernetes"]],
            "addressType": "IPv4",
            "endpoints": [["addresses": [.string(address)], "conditions": ["ready": true]]],
            "ports": [["name": "https", "port": .int(Int64(port)), "protocol": "TCP"]],
        ]
        do {
            _ = try await store.create(sliceType, slice, dryRun: false)
        } catch {
            if error.code != 409 { throw error }
            _ = try await store.update(sliceType, namespace: "default", name: "kubernetes", slice, dryRun: false)
        }
    }
}
