/// A scheduling plugin: one or more of the extension-point protocols below
/// (kube-scheduler's framework). Plugins are values built once per profile and called from the
/// scheduling task; they keep per-cycle data in the `CycleState`, never in themselves.
public protocol Plugin: Sendable {
    var name: String { get }
    /// The cluster changes that may make a Pod this plugin rejected schedulable; the queue retries
    /// such Pods when one happens. Default: every change.
    var events: Set<ClusterEvent> { get }
}

extension Plugin {
    public var events: Set<ClusterEvent> { Set(ClusterEvent.allCases) }
}

/// Runs once per cycle before filtering: precomputes what Filter needs, or rejects the Pod for
/// every node, or returns `.skip` when it has nothing to check (its Filter is then not run).
public protocol PreFilterPlugin: Plugin {
    func preFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot) -> Status
}

/// Decides whether the Pod may run on one node. Must not depend on other nodes except through
/// what PreFilter stored.
public protocol FilterPlugin: Plugin {
    func filter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status
}

/// Runs after filtering found no node (DefaultPreemption): may nominate a node and name the
/// Pods to evict from it. Pure: the scheduler performs the evictions.
public protocol PostFilterPlugin: Plugin {
    func postFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot, _ statuses: [String: Status],
                    framework: Framework) -> PostFilterResult
}

/// What a PostFilter plugin decided.
public struct PostFilterResult: Sendable {
    /// The node the Pod should go to once the victims are gone.
    public var nominatedNode: String?
    public var victims: [PodInfo]
    /// The message Kubernetes appends after the filter reasons (`preemption: ...`).
    public var message: String

    public init(nominatedNode: String? = nil, victims: [PodInfo] = [], message: String) {
        self.nominatedNode = nominatedNode
        self.victims = victims
        self.message = message
    }
}

/// Runs once per cycle before scoring, with the feasible nodes.
public protocol PreScorePlugin: Plugin {
    func preScore(_ state: CycleState, _ pod: PodInfo, _ nodes: [NodeInfo], _ snapshot: Snapshot) -> Status
}

/// Ranks feasible nodes: `score` per node, then `normalize` over all of them to 0...100
/// (`maxNodeScore`). The framework multiplies by the plugin's weight and sums.
public protocol ScorePlugin: Plugin {
    func score(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Int64
    func normalize(_ state: CycleState, _ pod: PodInfo, _ scores: inout [Int64])
}

extension ScorePlugin {
    public func normalize(_ state: CycleState, _ pod: PodInfo, _ scores: inout [Int64]) {}
}

/// The highest score a plugin gives one node.
public let maxNodeScore: Int64 = 100

/// Claims resources for the Pod on the chosen node before binding; `unreserve` undoes it if
/// a later step fails.
public protocol ReservePlugin: Plugin {
    func reserve(_ pod: PodInfo, node: String) -> Status
    func unreserve(_ pod: PodInfo, node: String)
}

/// Binds the Pod to the node through the API. The first bind plugin that does not `skip` binds.
public protocol BindPlugin: Plugin {
    func bind(_ pod: PodInfo, node: String) async -> Status
}

/// A change in the cluster that may make unschedulable Pods schedulable (`framework.ClusterEvent`).
public enum ClusterEvent: String, Sendable, Hashable, CaseIterable {
    case nodeAdd
    /// Labels, taints, allocatable or `spec.unschedulable` changed.
    case nodeUpdate
    case nodeDelete
    /// A Pod was bound to a node.
    case assignedPodAdd
    /// A bound Pod's labels or requests changed.
    case assignedPodUpdate
    /// A bound Pod was deleted or finished.
    case assignedPodDelete
}
