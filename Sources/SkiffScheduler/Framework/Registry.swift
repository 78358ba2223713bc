import SkiffClient

/// What a plugin may use when it is built: the API client (for binding) and the profile's
/// scheduler name.
public struct Handle: Sendable {
    public var client: Client?
    public var schedulerName: String

    public init(client: Client? = nil, schedulerName: String = "default-scheduler") {
        self.client = client
        self.schedulerName = schedulerName
    }
}

/// Plugin factories by name (kube-scheduler's `frameworkruntime.Registry`). A profile names the
/// plugins it enables; the framework builds each one once from its factory.
///
/// ```swift
/// var registry = Registry.builtin
/// registry.register("GPUTopology") { _ in GPUTopology() }
/// var profile = Profile.default
/// profile.plugins.append(.init("GPUTopology", weight: 5))
/// ```
public struct Registry: Sendable {
    public typealias Factory = @Sendable (Handle) -> any Plugin

    public private(set) var factories: [String: Factory]

    public init(_ factories: [String: Factory] = [:]) {
        self.factories = factories
    }

    /// Adds or replaces the factory for `name`.
    public mutating func register(_ name: String, factory: @escaping Factory) {
        factories[name] = factory
    }

    /// The plugins Skiff ships, under kube-scheduler's names.
    public static let builtin = Registry([
        NodeUnschedulable.name: { _ in NodeUnschedulable() },
        NodeName.name: { _ in NodeName() },
        TaintToleration.name: { _ in TaintToleration() },
        NodeAffinity.name: { _ in NodeAffinity() },
        NodePorts.name: { _ in NodePorts() },
        NodeResourcesFit.name: { _ in NodeResourcesFit() },
        PodTopologySpread.name: { _ in PodTopologySpread() },
        InterPodAffinity.name: { _ in InterPodAffinity() },
        DefaultPreemption.name: { _ in DefaultPreemption() },
        NodeResourcesBalancedAllocation.name: { _ in NodeResourcesBalancedAllocation() },
        DefaultBinder.name: { handle in DefaultBinder(client: handle.client) },
    ])
}

/// A scheduler profile: the scheduler name Pods select it by, and its plugins in the order
/// they run, with score weights (kube-scheduler's `KubeSchedulerProfile`).
public struct Profile: Sendable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        /// The multiplier of the plugin's normalized score; ignored for non-score plugins.
        public var weight: Int64

        public init(_ name: String, weight: Int64 = 1) {
            self.name = name
            self.weight = weight
        }
    }

    public var schedulerName: String
    public var plugins: [Entry]

    public init(schedulerName: String = "default-scheduler", plugins: [Entry]) {
        self.schedulerName = schedulerName
        self.plugins = plugins
    }

    /// kube-scheduler's default plugins, order and weights (without the volume plugins and
    /// ImageLocality): filters NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
    /// NodePorts, NodeResourcesFit, PodTopologySpread, InterPodAffinity; scores TaintToleration
    /// ×3, NodeAffinity ×2, PodTopologySpread ×2, InterPodAffinity ×2, NodeResourcesFit
    /// (LeastAllocated) ×1, NodeResourcesBalancedAllocation ×1.
    public static let `default` = Profile(plugins: [
        .init(NodeUnschedulable.name),
        .init(NodeName.name),
        .init(TaintToleration.name, weight: 3),
        .init(NodeAffinity.name, weight: 2),
        .init(NodePorts.name),
        .init(NodeResourcesFit.name, weight: 1),
        .init(PodTopologySpread.name, weight: 2),
        .init(InterPodAffinity.name, weight: 2),
        .init(DefaultPreemption.name),
        .init(NodeResourcesBalancedAllocation.name, weight: 1),
        .init(DefaultBinder.name),
    ])
}
