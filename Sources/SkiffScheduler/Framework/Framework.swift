/// The plugins of one profile sorted by extension point, and the code that runs them
/// (kube-scheduler's `frameworkruntime.frameworkImpl`).
///
/// Synchronous extension points run in the order the profile lists the plugins. A Filter stops
/// at the first plugin that rejects the node; its status (with the plugin's name) is what the
/// `FailedScheduling` message counts.
public struct Framework: Sendable {
    public let schedulerName: String
    let preFilters: [any PreFilterPlugin]
    let filters: [any FilterPlugin]
    let postFilters: [any PostFilterPlugin]
    let preScores: [any PreScorePlugin]
    let scores: [(plugin: any ScorePlugin, weight: Int64)]
    let reserves: [any ReservePlugin]
    let binders: [any BindPlugin]
    let events: [String: Set<ClusterEvent>]

    /// Builds the profile's plugins from the registry. Throws if a name is not registered.
    public init(profile: Profile, registry: Registry = .builtin, handle: Handle = Handle()) throws(SchedulerError) {
        var plugins: [any Plugin] = []
        var weights: [String: Int64] = [:]
        var handle = handle
        handle.schedulerName = profile.schedulerName
        for entry in profile.plugins {
            guard let factory = registry.factories[entry.name] else {
                throw SchedulerError(.invalidConfiguration, "plugin \"\(entry.name)\" does not exist in the registry")
            }
            plugins.append(factory(handle))
            weights[entry.name] = entry.weight
        }
        self.init(plugins: plugins, weights: weights, schedulerName: profile.schedulerName)
    }

    /// A framework over plugin values (tests build one from the plugins they exercise).
    public init(plugins: [any Plugin], weights: [String: Int64] = [:], schedulerName: String = "default-scheduler") {
        self.schedulerName = schedulerName
        preFilters = plugins.compactMap { $0 as? any PreFilterPlugin }
        filters = plugins.compactMap { $0 as? any FilterPlugin }
        postFilters = plugins.compactMap { $0 as? any PostFilterPlugin }
        preScores = plugins.compactMap { $0 as? any PreScorePlugin }
        scores = plugins.compactMap { p in (p as? any ScorePlugin).map { ($0, weights[p.name] ?? 1) } }
        reserves = plugins.compactMap { $0 as? any ReservePlugin }
        binders = plugins.compactMap { $0 as? any BindPlugin }
        var events: [String: Set<ClusterEvent>] = [:]
        for p in plugins { events[p.name] = p.events }
        events[Self.schedulingGates] = []
        self.events = events
    }

    public var hasPostFilter: Bool { !postFilters.isEmpty }

    /// What rejects a Pod with `spec.schedulingGates`: no cluster event helps, only an update of
    /// the Pod that removes its gates.
    public static let schedulingGates = "SchedulingGates"

    /// Runs every PreFilter. Returns the first rejection (or error); plugins that return
    /// `skip` are recorded in `state.skipFilter`.
    public func runPreFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot) -> Status {
        for p in preFilters {
            let s = p.preFilter(state, pod, snapshot)
            if s.isSkip {
                state.skipFilter.insert(p.name)
                continue
            }
            if !s.isSuccess { return s.withPlugin(p.name) }
        }
        return .success
    }

    /// Runs the Filters on one node until one rejects it.
    public func runFilter(_ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        Self.runFilter(activeFilters(state), state, pod, node)
    }

    /// The Filters whose PreFilter did not skip them (computed once per cycle, not per node).
    func activeFilters(_ state: CycleState) -> [any FilterPlugin] {
        state.skipFilter.isEmpty ? filters : filters.filter { !state.skipFilter.contains($0.name) }
    }

    static func runFilter(_ filters: [any FilterPlugin], _ state: CycleState, _ pod: PodInfo, _ node: NodeInfo) -> Status {
        for p in filters {
            let s = p.filter(state, pod, node)
            if !s.isSuccess { return s.withPlugin(p.name) }
        }
        return .success
    }

    /// Runs the PostFilter plugins (preemption) after no node fit; the first that nominates a
    /// node wins, otherwise the messages are joined.
    public func runPostFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot, _ statuses: [String: Status]) -> PostFilterResult? {
        var messages: [String] = []
        for p in postFilters {
            let r = p.postFilter(state, pod, snapshot, statuses, framework: self)
            if r.nominatedNode != nil { return r }
            if !r.message.isEmpty { messages.append(r.message) }
        }
        return messages.isEmpty ? nil : PostFilterResult(message: messages.joined(separator: " "))
    }

    /// Runs PreScore and Score over the feasible nodes and returns each node's weighted total.
    public func runScore(_ state: CycleState, _ pod: PodInfo, _ nodes: [NodeInfo], _ snapshot: Snapshot) -> [Int64] {
        for p in preScores {
            let s = p.preScore(state, pod, nodes, snapshot)
            if s.isSkip { state.skipScore.insert(p.name) }
        }
        var totals = [Int64](repeating: 0, count: nodes.count)
        for (plugin, weight) in scores where !state.skipScore.contains(plugin.name) {
            var scores = nodes.map { plugin.score(state, pod, $0) }
            plugin.normalize(state, pod, &scores)
            for i in totals.indices { totals[i] += scores[i] * weight }
        }
        return totals
    }

    /// Runs every Reserve; on a failure unreserves those that succeeded, in reverse order.
    public func runReserve(_ pod: PodInfo, node: String) -> Status {
        for (i, p) in reserves.enumerated() {
            let s = p.reserve(pod, node: node)
            if !s.isSuccess {
                for q in reserves[..<i].reversed() { q.unreserve(pod, node: node) }
                return s.withPlugin(p.name)
            }
        }
        return .success
    }

    public func runUnreserve(_ pod: PodInfo, node: String) {
        for p in reserves.reversed() { p.unreserve(pod, node: node) }
    }

    /// Binds with the first bind plugin that does not skip.
    public func runBind(_ pod: PodInfo, node: String) async -> Status {
        for p in binders {
            let s = await p.bind(pod, node: node)
            if s.isSkip { continue }
            return s.withPlugin(p.name)
        }
        return .error("no bind plugin bound the pod")
    }

    /// Whether `event` may help a Pod that the given plugins rejected. A Pod no plugin rejected
    /// (an error) is always retried.
    public func mayHelp(_ event: ClusterEvent, rejectedBy plugins: Set<String>) -> Bool {
        if plugins.isEmpty { return true }
        return plugins.contains { events[$0]?.contains(event) ?? true }
    }
}
