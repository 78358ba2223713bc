/// Preemption after no node fits (kube-scheduler's DefaultPreemption PostFilter).
///
/// Only nodes whose rejection was `unschedulable` (not unresolvable) are candidates. On each,
/// every Pod of lower priority is removed in a dry run; if the Pod then passes the filters,
/// removed Pods are given back from the highest priority down while it still fits, and the rest
/// are the victims. The candidate with the lowest highest-victim priority wins (then the
/// smallest priority sum, then the fewest victims). The plugin decides only; the scheduler
/// deletes the victims and sets the Pod's `nominatedNodeName`.
///
/// PodDisruptionBudgets are not considered.
public struct DefaultPreemption: PostFilterPlugin {
    public static let name = "DefaultPreemption"
    public static let notHelpful = "Preemption is not helpful for scheduling"
    public static let noVictims = "No preemption victims found for incoming pod"
    /// Candidates found before the search stops (`minCandidateNodesAbsolute`).
    public var maxCandidates = 100
    public var name: String { Self.name }

    public init() {}

    struct Candidate {
        var node: String
        var victims: [PodInfo]
    }

    public func postFilter(_ state: CycleState, _ pod: PodInfo, _ snapshot: Snapshot, _ statuses: [String: Status],
                           framework: Framework) -> PostFilterResult {
        if pod.neverPreempts { return PostFilterResult(message: "preemption: not eligible due to preemptionPolicy=Never.") }
        if !pod.nominatedNodeName.isEmpty, let nominated = snapshot.node(pod.nominatedNodeName),
           statuses[nominated.name]?.code == .unschedulable,
           nominated.pods.contains(where: { $0.isTerminating && $0.priority < pod.priority }) {
            return PostFilterResult(message: "preemption: not eligible due to a terminating pod on the nominated node.")
        }

        var results: [String: Status] = [:]
        var candidates: [Candidate] = []
        for node in snapshot.nodes where statuses[node.name]?.code == .unschedulable {
            if candidates.count >= maxCandidates { break }
            switch selectVictims(pod, node, snapshot, framework) {
            case .success(let victims): candidates.append(Candidate(node: node.name, victims: victims))
            case .failure(let e): results[node.name] = e.status
            }
        }
        guard let best = candidates.min(by: { Self.better($0, $1) }) else {
            var diagnosis = Diagnosis()
            for node in snapshot.nodes { diagnosis.nodeStatuses[node.name] = results[node.name] ?? .unresolvable(Self.notHelpful) }
            return PostFilterResult(message: "preemption: " + FitError(numAllNodes: snapshot.nodes.count, diagnosis: diagnosis).message)
        }
        return PostFilterResult(nominatedNode: best.node, victims: best.victims, message: "")
    }


    /// The fewest lower-priority Pods to remove from `node` for `pod` to fit, or why none helps.
    func selectVictims(_ pod: PodInfo, _ node: NodeInfo, _ snapshot: Snapshot, _ framework: Framework) -> Result<[PodInfo], StatusError> {
        let lower = node.pods.filter { $0.priority < pod.priority }
        if lower.isEmpty { return .failure(StatusError(.unresolvable(Self.noVictims))) }
        var current = node.removing(Set(lower.map(\.key)))
        let s = fits(pod, current, snapshot, framework)
        if !s.isSuccess { return .failure(StatusError(s)) }
        var victims: [PodInfo] = []
        // Give back the most important Pods first; earlier-created first among equals.
        let ordered = lower.sorted { ($0.priority, -$0.creationTime) > ($1.priority, -$1.creationTime) }
        for p in ordered {
            let trial = current.adding(p)
            if fits(pod, trial, snapshot, framework).isSuccess {
                current = trial
            } else {
                victims.append(p)
            }
        }
        if victims.isEmpty { return .failure(StatusError(.unresolvable(Self.noVictims))) }
        return .success(victims)
    }

    /// Runs PreFilter and Filter for `pod` as if `node` were as given.
    func fits(_ pod: PodInfo, _ node: NodeInfo, _ snapshot: Snapshot, _ framework: Framework) -> Status {
        let state = CycleState()
        let changed = snapshot.replacing(node)
        let pre = framework.runPreFilter(state, pod, changed)
        if !pre.isSuccess { return pre }
        return framework.runFilter(state, pod, node)
    }

    static func better(_ a: Candidate, _ b: Candidate) -> Bool {
        func key(_ c: Candidate) -> (Int64, Int64, Int) {
            (c.victims.map(\.priority).max() ?? .min, c.victims.reduce(0) { $0 + $1.priority }, c.victims.count)
        }
        return key(a) < key(b)
    }
}

/// A `Status` carried as an error (for `Result`).
struct StatusError: Error {
    var status: Status
    init(_ status: Status) { self.status = status }
}
