/// Why no node fit, per node (`framework.Diagnosis`).
public struct Diagnosis: Sendable {
    /// The rejecting status of each node that was evaluated.
    public var nodeStatuses: [String: Status] = [:]
    /// Set when a PreFilter rejected the Pod for every node.
    public var preFilterMessage: String?
    /// What the PostFilter plugins (preemption) said, `preemption: ...`.
    public var postFilterMessage = ""
    /// The plugins that rejected the Pod somewhere: the queue retries it on cluster changes
    /// these plugins care about.
    public var unschedulablePlugins: Set<String> = []

    public init() {}
}

/// The Pod fits no node (`framework.FitError`); `message` is Kubernetes' `FailedScheduling`
/// text, for example `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's
/// node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for
/// scheduling.`
public struct FitError: Error, Sendable, CustomStringConvertible {
    public var numAllNodes: Int
    public var diagnosis: Diagnosis

    public init(numAllNodes: Int, diagnosis: Diagnosis) {
        self.numAllNodes = numAllNodes
        self.diagnosis = diagnosis
    }

    public var description: String { message }

    public var message: String {
        if numAllNodes == 0 { return "no nodes available to schedule pods" }
        var text = "0/\(numAllNodes) nodes are available:"
        if let pre = diagnosis.preFilterMessage {
            text += " \(pre)."
        } else {
            let histogram = Self.histogram(diagnosis.nodeStatuses.values)
            if !histogram.isEmpty { text += " " + histogram + "." }
        }
        if !diagnosis.postFilterMessage.isEmpty { text += " " + diagnosis.postFilterMessage }
        return text
    }

    /// `1 Insufficient cpu, 2 node(s) were unschedulable`: each reason with the number of nodes
    /// that gave it, sorted as strings (byte order, as Go's `sort.Strings`).
    static func histogram(_ statuses: some Sequence<Status>) -> String {
        var counts: [String: Int] = [:]
        for s in statuses {
            for r in s.reasons { counts[r, default: 0] += 1 }
        }
        return counts.map { "\($0.value) \($0.key)" }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .joined(separator: ", ")
    }
}
