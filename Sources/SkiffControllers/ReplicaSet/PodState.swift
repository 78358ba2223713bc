import SkiffModel

/// The facts about a Pod that workload controllers decide on (k8s.io/kubernetes `podutil` and
/// `controller.IsPodActive`).
enum PodState {
    /// Not finished (`Succeeded`/`Failed`) and not being deleted: a Pod that counts as a replica.
    static func isActive(_ pod: JSON) -> Bool {
        let phase = pod["status", "phase"]?.string
        return phase != "Succeeded" && phase != "Failed" && !pod.isBeingDeleted
    }

    /// The `Ready` condition, if the Pod has one.
    static func readyCondition(_ pod: JSON) -> JSON? {
        pod["status", "conditions"]?.array?.first { $0["type"]?.string == "Ready" }
    }

    /// Whether the `Ready` condition is `True`.
    static func isReady(_ pod: JSON) -> Bool {
        readyCondition(pod)?["status"]?.string == "True"
    }

    /// When the Pod last became ready (the `Ready` condition's lastTransitionTime), if it is ready.
    static func readySince(_ pod: JSON) -> Double? {
        guard isReady(pod) else { return nil }
        return readyCondition(pod)?["lastTransitionTime"]?.string.flatMap(Timestamp.parse)
    }

    /// Ready for at least `minReadySeconds` at `now` (podutil.IsPodAvailable).
    static func isAvailable(_ pod: JSON, minReadySeconds: Int, now: Double) -> Bool {
        guard isReady(pod) else { return false }
        if minReadySeconds <= 0 { return true }
        guard let since = readySince(pod) else { return false }
        return since + Double(minReadySeconds) < now
    }

    /// The highest restart count among the Pod's containers.
    static func maxRestarts(_ pod: JSON) -> Int64 {
        (pod["status", "containerStatuses"]?.array ?? []).map { $0["restartCount"]?.int ?? 0 }.max() ?? 0
    }

    /// `controller.kubernetes.io/pod-deletion-cost`, 0 when absent or not an integer.
    static func deletionCost(_ pod: JSON) -> Int64 {
        pod["metadata", "annotations", "controller.kubernetes.io/pod-deletion-cost"]?.string.flatMap { Int64($0) } ?? 0
    }
}
