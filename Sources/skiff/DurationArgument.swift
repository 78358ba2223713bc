import ArgumentParser
import SkiffModel

/// A duration flag in Go's syntax (`40s`, `1m30s`, `500ms`, `1.5h`), as Kubernetes' flags take.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    init?(argument: String) {
        guard let seconds = GoDuration.seconds(argument) else { return nil }
        duration = .nanoseconds(Int64(seconds * 1e9))
    }

    var defaultValueDescription: String {
        let (s, a) = duration.components
        return a == 0 ? "\(s)s" : "\(Double(s) + Double(a) / 1e18)s"
    }
}
