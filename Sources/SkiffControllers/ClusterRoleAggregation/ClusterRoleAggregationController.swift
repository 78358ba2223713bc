import Logging
import SkiffClient
import SkiffModel

/// Fills the rules of aggregated ClusterRoles (kube-controller-manager's clusterrole-aggregation
/// controller): a ClusterRole with `aggregationRule.clusterRoleSelectors` gets the rules of
/// every other ClusterRole one of its selectors matches, in name order, without duplicates.
/// That is how `admin`, `edit` and `view` take in the rules of ClusterRoles labelled
/// `rbac.authorization.k8s.io/aggregate-to-<role>: "true"` (a CRD's, say).
///
/// Any change of a ClusterRole queues every aggregated one; keys are ClusterRole names.
public struct ClusterRoleAggregationController: Sendable {
    public struct Configuration: Sendable {
        public var workers = 1
        public init() {}
    }

    static let resource = Resource(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", kind: "ClusterRole",
                                   namespaced: false)

    public let configuration: Configuration
    let client: Client
    let roles: Lister
    let synced: [Informer]
    let queue = WorkQueue<String>(name: "clusterrole_aggregation")
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers, logger: Logger) {
        self.configuration = configuration
        self.client = client
        let informer = informers.informer(for: Self.resource)
        roles = informer.lister
        synced = [informer]
        var logger = logger
        logger[metadataKey: "controller"] = "clusterrole-aggregation"
        self.logger = logger
        let queue = queue, roles = roles
        @Sendable func changed(_: JSON) async {
            for role in roles.list() where role["aggregationRule"]?.object != nil { await queue.add(role.objectName) }
        }
        informer.addEventHandler(EventHandler(onAdd: changed, onUpdate: { _, new in await changed(new) }, onDelete: changed))
    }

    public func run() async throws {
        try await ControllerRunner(name: "clusterrole-aggregation", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// One pass over the ClusterRole `name`.
    public func reconcile(_ name: String) async throws {
        guard var role = roles.get(namespace: "", name: name), let selectors = role["aggregationRule", "clusterRoleSelectors"]?.array else {
            return
        }
        let parsed = selectors.compactMap { try? LabelSelector.from($0).get() }
        var rules: [JSON] = []
        for other in roles.list().sorted(by: { $0.objectName < $1.objectName }) where other.objectName != name {
            guard parsed.contains(where: { $0.matches(other.objectLabels) }) else { continue }
            for rule in other["rules"]?.array ?? [] where !rules.contains(rule) { rules.append(rule) }
        }
        guard role["rules"]?.array ?? [] != rules else { return }
        role["rules"] = .array(rules)
        _ = try await client.update(Self.resource, role)
    }
}
