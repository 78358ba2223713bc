/// The kubelet's crash loop back-off for one container: after the first exit the container
/// restarts at once; then the restarts wait 10 s, doubling up to 5 minutes. A container that ran
/// for 10 minutes (twice the maximum) before it exited starts the sequence again.
public struct CrashBackoff: Sendable, Hashable {
    public static let initial = 10.0
    public static let maximum = 300.0
    /// Running this long resets the back-off.
    public static let resetAfter = 600.0

    /// What the next exit waits.
    public private(set) var next: Double = 0

    public init() {}

    /// Records an exit after running `ranFor` seconds; returns how long to wait before restarting
    /// (0: at once; more: the container is in `CrashLoopBackOff` meanwhile).
    public mutating func exited(ranFor: Double) -> Double {
        if ranFor >= Self.resetAfter { next = 0 }
        let wait = next
        next = next == 0 ? Self.initial : min(next * 2, Self.maximum)
        return wait
    }
}
