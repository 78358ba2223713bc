/// Where a scheduling cycle put the Pod.
public struct ScheduleResult: Sendable, Equatable {
    public var node: String
    /// Nodes run through the filters.
    public var evaluatedNodes: Int
    /// Nodes that passed them.
    public var feasibleNodes: Int
}

/// Finding a node for one Pod: filter, score, pick (kube-scheduler's `schedulePod`).
extension Framework {
    /// How many feasible nodes to look for before scoring (`numFeasibleNodesToFind`): all of
    /// them below 100 nodes, else `percentage` of them (default: 50% minus 1% per 125 nodes,
    /// at least 5%), but never fewer than 100.
    public static func feasibleNodesToFind(allNodes: Int, percentage: Int? = nil) -> Int {
        if allNodes < 100 { return allNodes }
        var pct = percentage ?? (50 - allNodes / 125)
        if pct <= 0 || pct > 100 { pct = percentage == nil ? 5 : 100 }
        pct = max(pct, 5)
        return max(allNodes * pct / 100, 100)
    }

    /// Picks a node for `pod` in `snapshot`, or says why none fits.
    ///
    /// Filters start at `startIndex` (rotated so successive Pods spread the search) and stop
    /// once `feasibleNodesToFind` nodes pass. A Pod with a nominated node that passes goes there
    /// directly. One feasible node is taken without scoring; otherwise the highest total score
    /// wins, ties broken at random.
    public func schedule(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot, startIndex: inout Int,
                         percentageOfNodesToScore: Int? = nil,
                         using generator: inout some RandomNumberGenerator) -> Result<ScheduleResult, FitError> {
        let all = snapshot.nodes.count
        var diagnosis = Diagnosis()
        if all == 0 { return .failure(FitError(numAllNodes: 0, diagnosis: diagnosis)) }
        if let error = pod.parseError {
            diagnosis.preFilterMessage = error
            for n in snapshot.nodes { diagnosis.nodeStatuses[n.name] = .unresolvable(error) }
            return .failure(FitError(numAllNodes: all, diagnosis: diagnosis))
        }

        let pre = runPreFilter(state, pod, snapshot)
        if !pre.isSuccess {
            diagnosis.preFilterMessage = pre.message
            diagnosis.unschedulablePlugins.insert(pre.plugin)
            for n in snapshot.nodes { diagnosis.nodeStatuses[n.name] = pre }
            return .failure(FitError(numAllNodes: all, diagnosis: diagnosis))
        }

        if !pod.nominatedNodeName.isEmpty, let nominated = snapshot.node(pod.nominatedNodeName),
           runFilter(state, pod, nominated).isSuccess {
            return .success(ScheduleResult(node: nominated.name, evaluatedNodes: 1, feasibleNodes: 1))
        }

        let active = activeFilters(state)
        let want = Self.feasibleNodesToFind(allNodes: all, percentage: percentageOfNodesToScore)
        var feasible: [NodeInfo] = []
        feasible.reserveCapacity(min(want, all))
        let start = all > 0 ? startIndex % all : 0
        var evaluated = 0
        while evaluated < all && feasible.count < want {
            let node = snapshot.nodes[(start + evaluated) % all]
            evaluated += 1
            let s = Self.runFilter(active, state, pod, node)
            if s.isSuccess {
                feasible.append(node)
            } else {
                diagnosis.nodeStatuses[node.name] = s
                if s.isRejection { diagnosis.unschedulablePlugins.insert(s.plugin) }
            }
        }
        startIndex = (start + evaluated) % all

        if feasible.isEmpty { return .failure(FitError(numAllNodes: all, diagnosis: diagnosis)) }
        if feasible.count == 1 {
            return .success(ScheduleResult(node: feasible[0].name, evaluatedNodes: evaluated, feasibleNodes: 1))
        }
        let totals = runScore(state, pod, feasible, snapshot)
        var best = 0
        var ties = 1
        for i in 1..<totals.count {
            if totals[i] > totals[best] {
                best = i
                ties = 1
            } else if totals[i] == totals[best] {
                ties += 1
                if Int.random(in: 0..<ties, using: &generator) == 0 { best = i }
            }
        }
        return .success(ScheduleResult(node: feasible[best].name, evaluatedNodes: evaluated, feasibleNodes: feasible.count))
    }
}
