/// The outcome of one plugin at one extension point (kube-scheduler's `framework.Status`).
///
/// `reasons` are the short phrases Kubernetes counts in its `FailedScheduling` message
/// (`Insufficient cpu`, `node(s) didn't match Pod's node affinity/selector`); `plugin` names the
/// plugin that returned it, filled in by the framework.
public struct Status: Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        case success
        /// An internal failure (not the Pod's fault); the Pod is retried after back-off.
        case error
        /// The node does not fit now, but removing Pods (preemption) might make it fit.
        case unschedulable
        /// The node does not fit, and preempting Pods on it would not help.
        case unschedulableAndUnresolvable
        /// From PreFilter or PreScore: the plugin has nothing to check for this Pod; its Filter or
        /// Score is not run.
        case skip
    }

    public var code: Code
    public var reasons: [String]
    public var plugin: String

    public init(_ code: Code, _ reasons: [String] = [], plugin: String = "") {
        self.code = code
        self.reasons = reasons
        self.plugin = plugin
    }

    public static let success = Status(.success)
    public static let skip = Status(.skip)

    public static func unschedulable(_ reasons: String...) -> Status { Status(.unschedulable, reasons) }
    public static func unresolvable(_ reasons: String...) -> Status { Status(.unschedulableAndUnresolvable, reasons) }
    public static func error(_ message: String) -> Status { Status(.error, [message]) }

    public var isSuccess: Bool { code == .success }
    public var isSkip: Bool { code == .skip }
    /// Unschedulable or UnschedulableAndUnresolvable.
    public var isRejection: Bool { code == .unschedulable || code == .unschedulableAndUnresolvable }

    /// The reasons joined with `, `, as Kubernetes' `Status.Message()`.
    public var message: String { reasons.joined(separator: ", ") }

    public var description: String { plugin.isEmpty ? "\(code): \(message)" : "\(plugin) \(code): \(message)" }

    func withPlugin(_ name: String) -> Status {
        var s = self
        if s.plugin.isEmpty { s.plugin = name }
        return s
    }
}
