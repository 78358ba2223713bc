import ArgumentParser

/// A duration flag in Go's syntax (`40s`, `1m30s`, `500ms`, `1.5h`), as Kubernetes' flags take.
struct GoDuration: ExpressibleByArgument, Sendable {
    var duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    init?(argument: String) {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(argument)
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" {
            duration = .zero
            return
        }
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        duration = .nanoseconds(Int64((negative ? -total : total) * 1e9))
    }

    var defaultValueDescription: String {
        let (s, a) = duration.components
        return a == 0 ? "\(s)s" : "\(Double(s) + Double(a) / 1e18)s"
    }
}
