import Foundation

/// The kubelet's `/metrics/resource` in the Prometheus text format (0.0.4), written exactly as the
/// kubelet's registry writes it: families sorted by name, each with `# HELP` (stability prefixed)
/// and `# TYPE`, labels sorted by name, samples sorted by label values, values in Go's shortest
/// `%g` form, and millisecond timestamps on the usage samples. Families without samples are left
/// out; `resource_scrape_error` is always there.
public enum ResourceMetrics {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    struct Sample {
        var labels: [(String, String)]
        var value: Double
        var timestamp: Double?
    }

    struct Family {
        var name: String
        var help: String
        var type: String
        var samples: [Sample] = []
    }

    /// `summary` nil means the stats could not be read: only `resource_scrape_error 1` is written.
    public static func text(_ summary: StatsSummary?) -> String {
        var f: [String: Family] = [:]
        func add(_ name: String, _ help: String, _ type: String, _ s: Sample) {
            f[name, default: Family(name: name, help: "[STABLE] " + help, type: type)].samples.append(s)
        }
        let cpuHelp = "Cumulative cpu time consumed by the %@ in core-seconds"
        let memHelp = "Current working set of the %@ in bytes"
        func help(_ h: String, _ what: String) -> String { h.replacingOccurrences(of: "%@", with: what) }
        if let s = summary {
            if let c = s.node.cpu {
                add("node_cpu_usage_seconds_total", help(cpuHelp, "node"), "counter",
                    Sample(labels: [], value: Double(c.usageCoreNanoSeconds) / 1e9, timestamp: c.time))
            }
            if let m = s.node.memory {
                add("node_memory_working_set_bytes", help(memHelp, "node"), "gauge",
                    Sample(labels: [], value: Double(m.workingSetBytes), timestamp: m.time))
            }
            for p in s.pods {
                let podLabels = [("namespace", p.podRef.namespace), ("pod", p.podRef.name)]
                for c in p.containers {
                    let labels = [("container", c.name)] + podLabels
                    if c.startTime > 0 {
                        add("container_start_time_seconds", "Start time of the container since unix epoch in seconds", "gauge",
                            Sample(labels: labels, value: c.startTime, timestamp: nil))
                    }
                    if let cpu = c.cpu {
                        add("container_cpu_usage_seconds_total", help(cpuHelp, "container"), "counter",
                            Sample(labels: labels, value: Double(cpu.usageCoreNanoSeconds) / 1e9, timestamp: cpu.time))
                    }
                    if let m = c.memory {
                        add("container_memory_working_set_bytes", help(memHelp, "container"), "gauge",
                            Sample(labels: labels, value: Double(m.workingSetBytes), timestamp: m.time))
                    }
                }
                if let cpu = p.cpu {
                    add("pod_cpu_usage_seconds_total", help(cpuHelp, "pod"), "counter",
                        Sample(labels: podLabels, value: Double(cpu.usageCoreNanoSeconds) / 1e9, timestamp: cpu.time))
                }
                if let m = p.memory {
                    add("pod_memory_working_set_bytes", help(memHelp, "pod"), "gauge",
                        Sample(labels: podLabels, value: Double(m.workingSetBytes), timestamp: m.time))
                }
            }
        }
        add("resource_scrape_error", "1 if there was an error while getting container metrics, 0 otherwise", "gauge",
            Sample(labels: [], value: summary == nil ? 1 : 0, timestamp: nil))

        var out = ""
        for family in f.values.sorted(by: { $0.name < $1.name }) {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n# TYPE \(family.name) \(family.type)\n"
            let samples = family.samples.sorted { a, b in a.labels.map(\.1).lexicographicallyPrecedes(b.labels.map(\.1)) }
            for s in samples {
                out += family.name
                if !s.labels.isEmpty {
                    out += "{" + s.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " " + goFloat(s.value)
                if let t = s.timestamp { out += " " + String(Int64((t * 1000).rounded(.down))) }
                out += "\n"
            }
        }
        return out
    }

    static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeLabel(_ s: String) -> String {
        escapeHelp(s).replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// Go's `strconv.FormatFloat(v, 'g', -1, 64)` (what Prometheus' Go client writes): the
    /// shortest digits that read back as `v`, in exponent form (`1.2345678e+07`) when the decimal
    /// exponent is below -4 or at least 6.
    public static func goFloat(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        let sign = v < 0 ? "-" : ""
        // Swift's description is also the shortest round-tripping form: take its digits.
        let text = "\(Swift.abs(v))"
        let parts = text.split(separator: "e", maxSplits: 1)
        let exp10 = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let intPart = String(mantissa[0])
        let fracPart = mantissa.count > 1 ? String(mantissa[1]) : ""
        var digits = Array(intPart + fracPart)
        var dp = intPart.count + exp10
        while digits.first == "0" { digits.removeFirst(); dp -= 1 }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return "0" }
        let x = dp - 1
        if x < -4 || x >= 6 {
            var s = sign + String(digits[0])
            if digits.count > 1 { s += "." + String(digits[1...]) }
            let e = Swift.abs(x)
            return s + (x < 0 ? "e-" : "e+") + (e < 10 ? "0" : "") + String(e)
        }
        if dp <= 0 { return sign + "0." + String(repeating: "0", count: -dp) + String(digits) }
        if dp >= digits.count { return sign + String(digits) + String(repeating: "0", count: dp - digits.count) }
        return sign + String(digits[..<dp]) + "." + String(digits[dp...])
    }
}
