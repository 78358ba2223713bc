import Logging
import SkiffClient
import SkiffModel

/// Keeps a `default` ServiceAccount in every active namespace, creating it again if it is deleted
/// (kube-controller-manager's serviceaccount controller; no token Secrets, as since Kubernetes 1.24).
///
/// Keys are namespace names. A namespace that is being deleted is left alone.
public struct ServiceAccountController: Sendable {
    public struct Configuration: Sendable {
        /// The ServiceAccounts every namespace gets. Default `["default"]`.
        public var serviceAccounts: [String] = ["default"]
        /// Namespaces reconciled at once. Default 2.
        public var workers = 2

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let namespaces: Lister
    let serviceAccounts: Lister
    let queue = WorkQueue<String>(name: "serviceaccount")
    let synced: [Informer]
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, logger: Logger) {
        self.configuration = configuration
        self.client = client
        let nsInformer = informers.informer(for: .namespaces)
        let saInformer = informers.informer(for: .serviceAccounts)
        namespaces = nsInformer.lister
        serviceAccounts = saInformer.lister
        let queue = self.queue
        let names = Set(configuration.serviceAccounts)
        nsInformer.addEventHandler(EventHandler(onAdd: { await queue.add(ObjectKey.of($0)) },
                                                onUpdate: { _, new in await queue.add(ObjectKey.of(new)) }))
        saInformer.addEventHandler(EventHandler(onDelete: { sa in
            guard let name = sa["metadata", "name"]?.string, names.contains(name),
                  let ns = sa["metadata", "namespace"]?.string else { return }
            await queue.add(ns)
        }))
        synced = [nsInformer, saInformer]
        self.logger = logger
    }

    /// Waits for the caches, then reconciles namespaces until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "serviceaccount", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// Creates the missing ServiceAccounts of namespace `key`, unless it is gone or terminating.
    public func reconcile(_ key: String) async throws {
        guard let ns = namespaces.get(name: key), ns["metadata", "deletionTimestamp"] == nil,
              ns["status", "phase"]?.string != "Terminating" else { return }
        for name in configuration.serviceAccounts where serviceAccounts.get(namespace: key, name: name) == nil {
            let sa: JSON = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(name), "namespace": .string(key)]]
            do {
                _ = try await client.create(.serviceAccounts, sa)
            } catch let e as APIError where e.isAlreadyExists || e.isNotFound || e.isNamespaceTerminating {
                continue
            }
        }
    }
}
