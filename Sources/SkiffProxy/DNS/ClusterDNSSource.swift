import SkiffClient
import SkiffModel

/// What the cluster DNS reads: Services and their EndpointSlices. `InformerDNSSource` reads the
/// informers' listers; tests give plain objects (`StaticDNSSource`).
public protocol ClusterDNSSource: Sendable {
    func service(namespace: String, name: String) -> JSON?
    /// Services in `namespace`, or in every namespace when nil.
    func services(namespace: String?) -> [JSON]
    /// The EndpointSlices labelled `kubernetes.io/service-name: <service>` in `namespace`.
    func endpointSlices(namespace: String, service: String) -> [JSON]
}

/// Reads the listers of a Service informer and an EndpointSlice informer made with
/// `InformerDNSSource.sliceIndexers`.
public struct InformerDNSSource: ClusterDNSSource {
    public static let serviceIndex = "service"
    /// The index the EndpointSlice informer needs: `namespace/service-name`.
    public static let sliceIndexers: [String: ObjectCache.IndexFunction] = [
        serviceIndex: { slice in
            guard let ns = slice["metadata", "namespace"]?.string,
                  let svc = slice["metadata", "labels", "kubernetes.io/service-name"]?.string else { return [] }
            return ["\(ns)/\(svc)"]
        },
    ]

    public let servicesLister: Lister
    public let slicesLister: Lister

    public init(services: Lister, endpointSlices: Lister) {
        self.servicesLister = services
        self.slicesLister = endpointSlices
    }

    public func service(namespace: String, name: String) -> JSON? { servicesLister.get(namespace: namespace, name: name) }
    public func services(namespace: String?) -> [JSON] { servicesLister.list(namespace: namespace) }
    public func endpointSlices(namespace: String, service: String) -> [JSON] {
        slicesLister.byIndex(Self.serviceIndex, "\(namespace)/\(service)")
    }
}

/// A fixed set of objects.
public struct StaticDNSSource: ClusterDNSSource {
    public var servicesList: [JSON]
    public var slicesList: [JSON]

    public init(services: [JSON], endpointSlices: [JSON]) {
        self.servicesList = services
        self.slicesList = endpointSlices
    }

    public func service(namespace: String, name: String) -> JSON? {
        servicesList.first { $0["metadata", "namespace"]?.string == namespace && $0["metadata", "name"]?.string == name }
    }
    public func services(namespace: String?) -> [JSON] {
        servicesList.filter { namespace == nil || $0["metadata", "namespace"]?.string == namespace }
    }
    public func endpointSlices(namespace: String, service: String) -> [JSON] {
        slicesList.filter {
            $0["metadata", "namespace"]?.string == namespace && $0["metadata", "labels", "kubernetes.io/service-name"]?.string == service
        }
    }
}
