import SkiffModel
import Synchronization

/// The values of PriorityClasses by name, to give each Pod the priority its
/// `priorityClassName` (or the global default class) stands for, as the Priority admission
/// plugin would have written into `spec.priority`.
public final class PriorityClasses: Sendable {
    /// The classes Kubernetes always has.
    public static let builtin: [String: Int64] = ["system-node-critical": 2_000_001_000, "system-cluster-critical": 2_000_000_000]

    struct State {
        var values: [String: Int64] = PriorityClasses.builtin
        var globalDefault: [String: Int64] = [:]
    }

    let state = Mutex(State())

    public init() {}

    public func set(_ object: JSON) {
        guard let name = object["metadata", "name"]?.string else { return }
        let value = object["value"]?.int ?? 0
        let isDefault = object["globalDefault"]?.bool == true
        state.withLock { s in
            s.values[name] = value
            s.globalDefault[name] = isDefault ? value : nil
        }
    }

    public func remove(_ object: JSON) {
        guard let name = object["metadata", "name"]?.string else { return }
        state.withLock { s in
            s.values[name] = PriorityClasses.builtin[name]
            s.globalDefault[name] = nil
        }
    }

    /// The Pod's priority: its class's value, else the global default class's (if the Pod names
    /// none), else `spec.priority`.
    public func priority(of pod: JSON) -> Int64? {
        let name = pod["spec", "priorityClassName"]?.string ?? ""
        return state.withLock { s in
            if !name.isEmpty { return s.values[name] }
            return s.globalDefault.values.max()
        }
    }

    /// A `PodInfo` with the resolved priority.
    public func podInfo(_ pod: JSON) -> PodInfo { PodInfo(pod, priority: priority(of: pod)) }
}
