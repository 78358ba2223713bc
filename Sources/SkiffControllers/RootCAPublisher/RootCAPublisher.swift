import Logging
import SkiffClient
import SkiffModel

/// Publishes the cluster CA as the `kube-root-ca.crt` ConfigMap (key `ca.crt`) in every namespace,
/// putting it back when it is deleted or changed (kube-controller-manager's root-ca-cert-publisher).
///
/// Keys are namespace names.
public struct RootCAPublisher: Sendable {
    public static let configMapName = "kube-root-ca.crt"
    public static let descriptionAnnotation = "kubernetes.io/description"
    public static let description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."

    public struct Configuration: Sendable {
        /// The cluster CA certificate(s), PEM.
        public var caPEM: String
        /// Namespaces reconciled at once. Default 2.
        public var workers = 2

        public init(caPEM: String) {
            self.caPEM = caPEM
        }
    }

    public let configuration: Configuration
    let client: Client
    let namespaces: Lister
    let configMaps: Lister
    let queue = WorkQueue<String>(name: "root_ca_cert_publisher")
    let synced: [Informer]
    let logger: Logger

    public init(configuration: Configuration, client: Client, informers: SharedInformers, logger: Logger) {
        self.configuration = configuration
        self.client = client
        let nsInformer = informers.informer(for: .namespaces)
        // Only the ConfigMaps this controller writes: it does not cache every ConfigMap.
        let cmInformer = informers.informer(for: .configMaps,
                                            fieldSelector: FieldSelector(requirements: [.init(field: "metadata.name", op: .equals,
                                                                                                value: Self.configMapName)]))
        namespaces = nsInformer.lister
        configMaps = cmInformer.lister
        let queue = self.queue
        nsInformer.addEventHandler(EventHandler(onAdd: { await queue.add(ObjectKey.of($0)) },
                                                onUpdate: { _, new in await queue.add(ObjectKey.of(new)) }))
        let ours: @Sendable (JSON) async -> Void = { cm in
            guard cm["metadata", "name"]?.string == Self.configMapName, let ns = cm["metadata", "namespace"]?.string else { return }
            await queue.add(ns)
        }
        cmInformer.addEventHandler(EventHandler(onUpdate: { _, new in await ours(new) }, onDelete: ours))
        synced = [nsInformer, cmInformer]
        self.logger = logger
    }

    /// Waits for the caches, then reconciles namespaces until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "root-ca-cert-publisher", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// Creates or corrects `kube-root-ca.crt` in namespace `key`, unless it is gone or terminating.
    public func reconcile(_ key: String) async throws {
        guard let ns = namespaces.get(name: key), ns["metadata", "deletionTimestamp"] == nil else { return }
        let data: JSON = ["ca.crt": .string(configuration.caPEM)]
        guard var cm = configMaps.get(namespace: key, name: Self.configMapName) else {
            let cm: JSON = ["apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": ["name": .string(Self.configMapName), "namespace": .string(key),
                                         "annotations": [Self.descriptionAnnotation: .string(Self.description)]],
                            "data": data]
            do {
                _ = try await client.create(.configMaps, cm)
            } catch let e as APIError where e.isNotFound || e.isNamespaceTerminating {
                return
            }
            return
        }
        if cm["data"] == data, !(cm["metadata", "annotations", Self.descriptionAnnotation]?.string ?? "").isEmpty { return }
        cm["data"] = data
        cm["metadata", "annotations", Self.descriptionAnnotation] = .string(Self.description)
        _ = try await client.update(.configMaps, cm)
    }
}
