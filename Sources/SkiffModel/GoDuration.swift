/// Go's duration syntax (`time.ParseDuration`): a sign, then one or more decimal numbers each
/// with a unit, `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`: `40s`, `1m30s`, `500ms`, `1.5h`, `0`.
/// Kubernetes' flags and robfig/cron's `@every` take it.
public enum GoDuration {
    static let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        .sorted { $0.0.count > $1.0.count }

    /// The duration in seconds, or nil when `text` is not a Go duration.
    public static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return negative ? -total : total
    }
}
