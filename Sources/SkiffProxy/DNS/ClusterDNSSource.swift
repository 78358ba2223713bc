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
    /// Services with `ip` among their ClusterIPs (for PTR queries).
    func services(clusterIP ip: String) -> [JSON]
    /// EndpointSlices with an endpoint at `address` (for PTR queries).
    func endpointSlices(address: String) -> [JSON]
}

/// A Service's `spec.clusterIPs` (or `spec.clusterIP` when the list is missing).
func serviceClusterIPs(_ service: JSON) -> [String] {
    let listed = (service["spec", "clusterIPs"]?.array ?? []).compactMap(\.string)
    return listed.isEmpty ? [service["spec", "clusterIP"]?.string].compactMap { $0 } : listed
}

/// Every endpoint address of an EndpointSlice.
func sliceAddresses(_ slice: JSON) -> [String] {
    (slice["endpoints"]?.array ?? []).flatMap { ($0["addresses"]?.array ?? []).compactMap(\.string) }
}

/// Reads the listers of a Service informer and an EndpointSlice informer made with
/// `InformerDNSSource.sliceIndexers`.
public struct InformerDNSSource: ClusterDNSSource {
    public static let serviceIndex = "service"
    public static let addressIndex = "address"
    public static let clusterIPIndex = "clusterIP"
    /// The indexes the EndpointSlice informer needs: `namespace/service-name` and endpoint address.
    public static let sliceIndexers: [String: ObjectCache.IndexFunction] = [
        serviceIndex: { slice in
            guard let ns = slice["metadata", "namespace"]?.string,
                  let svc = slice["metadata", "labels", "kubernetes.io/service-name"]?.string else { return [] }
            return ["\(ns)/\(svc)"]
        },
        addressIndex: { Array(Set(sliceAddresses($0))) },
    ]
    /// The index the Service informer needs: ClusterIPs.
    public static let serviceIndexers: [String: ObjectCache.IndexFunction] = [
        clusterIPIndex: { service in serviceClusterIPs(service).filter { $0 != "None" && !$0.isEmpty } },
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
    public func services(clusterIP ip: String) -> [JSON] { servicesLister.byIndex(Self.clusterIPIndex, ip) }
    public func endpointSlices(address: String) -> [JSON] { slicesLister.byIndex(Self.addressIndex, address) }
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
    public func services(clusterIP ip: String) -> [JSON] { servicesList.filter { serviceClusterIPs($0).contains(ip) } }
    public func endpointSlices(address: String) -> [JSON] { slicesList.filter { sliceAddresses($0).contains(address) } }
}
