#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 timestamps as Kubernetes writes them (`2026-11-28T12:00:00Z`, and with microseconds
/// for `MicroTime` fields), and durations as `kubectl get` prints ages.
public enum Timestamp {
    /// Seconds since the epoch, now.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// `2026-11-28T12:00:00Z` (seconds precision, as metav1.Time).
    public static func format(_ seconds: Double) -> String {
        let parts = civil(Int(seconds.rounded(.down)))
        return parts.text + "Z"
    }

    /// `2026-11-28T12:00:00.123456Z` (metav1.MicroTime).
    public static func formatMicro(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let micros = Int(((seconds - Double(whole)) * 1e6).rounded(.down))
        var frac = String(micros)
        frac = String(repeating: "0", count: 6 - frac.count) + frac
        return civil(whole).text + "." + frac + "Z"
    }

    /// Parses RFC 3339 (`Z` or `±hh:mm` offsets, optional fraction); nil if malformed.
    public static func parse(_ s: String) -> Double? {
        let b = Array(s.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard (48...57).contains(b[i]) else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10),
              let h = num(11..<13), let mi = num(14..<16), let se = num(17..<19) else { return nil }
        var i = 19
        var frac = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < b.count, (48...57).contains(b[i]) {
                frac += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count,
                  let oh = num(i + 1..<i + 3), let om = num(i + 4..<i + 6) {
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return Double(daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset) + frac
    }

    /// Kubernetes' `duration.HumanDuration`, as in the AGE column. Seconds truncate toward zero
    /// as Go's `int(d.Seconds())` does, so up to two seconds of clock skew still read `0s`.
    public static func humanDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.towardZero))
        if s < -1 { return "<invalid>" }
        if s < 0 { return "0s" }
        if s < 120 { return "\(s)s" }
        let minutes = s / 60
        if minutes < 10 {
            let rem = s % 60
            return rem == 0 ? "\(minutes)m" : "\(minutes)m\(rem)s"
        }
        if minutes < 180 { return "\(minutes)m" }
        let hours = s / 3600
        if hours < 8 {
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let dy = (hours / 24) % 365
            return dy == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(dy)d"
        }
        return "\(hours / 24 / 365)y"
    }

    /// The age of an object (`metadata.creationTimestamp` until now), or `<unknown>`.
    public static func age(of object: JSON) -> String {
        guard let created = object["metadata", "creationTimestamp"]?.string.flatMap(parse) else { return "<unknown>" }
        return humanDuration(now() - created)
    }

    static func civil(_ t: Int) -> (y: Int, mo: Int, d: Int, text: String) {
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        // Howard Hinnant's civil_from_days.
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let text = "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60))"
        return (y, m, d, text)
    }

    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
