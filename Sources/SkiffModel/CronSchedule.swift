import Foundation

/// A standard five-field cron schedule (minute hour day-of-month month day-of-week) as
/// Kubernetes' CronJob reads it (robfig/cron `ParseStandard`): `*`, `?`, ranges `a-b`, steps
/// `*/n` and `a-b/n`, lists `a,b`, month names `JAN`-`DEC`, weekday names `SUN`-`SAT` (0 or 7 is
/// Sunday), and the descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`,
/// `@hourly`, and `@every <Go duration>` (runs every so many whole seconds, at least one, counted
/// from the time before: robfig's ConstantDelaySchedule). When both day fields are restricted (neither starts with `*` or `?`) a day matches
/// either of them; otherwise both.
///
/// ```swift
/// let s = try CronSchedule.parse("*/15 9-17 * * MON-FRI").get()
/// let next = s.next(after: Date(), in: TimeZone(identifier: "Europe/Berlin")!)
/// ```
public struct CronSchedule: Sendable, Equatable {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    let minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    /// Whether the day-of-month / day-of-week field was `*` or `?` (robfig's star bit).
    let anyDay: Bool, anyWeekday: Bool
    /// `@every`: the delay in whole seconds; the fields above are then unused.
    var every: Int? = nil

    static let descriptors = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                              "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public static func parse(_ text: String) -> Result<CronSchedule, ParseError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("@every ") {
            let text = String(trimmed.dropFirst("@every ".count))
            guard let seconds = GoDuration.seconds(text) else {
                return .failure(ParseError(description: "failed to parse duration \(trimmed): time: invalid duration \"\(text)\""))
            }
            return .success(CronSchedule(minutes: [], hours: [], days: [], months: [], weekdays: [], anyDay: true, anyWeekday: true,
                                         every: max(1, Int(seconds.rounded(.down)))))
        }
        if trimmed.hasPrefix("@") {
            guard let expanded = descriptors[trimmed.lowercased()] else {
                return .failure(ParseError(description: "unrecognized descriptor: \(trimmed)"))
            }
            return parse(expanded)
        }
        let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            return .failure(ParseError(description: "expected exactly 5 fields, found \(fields.count): [\(fields.joined(separator: " "))]"))
        }
        do {
            let minutes = try field(fields[0], 0...59, names: [])
            let hours = try field(fields[1], 0...23, names: [])
            let days = try field(fields[2], 1...31, names: [])
            let months = try field(fields[3], 1...12, names: monthNames, firstName: 1)
            var weekdays = try field(fields[4], 0...7, names: dayNames, firstName: 0)
            if weekdays.remove(7) != nil { weekdays.insert(0) }
            return .success(CronSchedule(minutes: minutes, hours: hours, days: days, months: months, weekdays: weekdays,
                                         anyDay: fields[2].hasPrefix("*") || fields[2].hasPrefix("?"),
                                         anyWeekday: fields[4].hasPrefix("*") || fields[4].hasPrefix("?")))
        } catch let error as ParseError {
            return .failure(error)
        } catch {
            return .failure(ParseError(description: "\(error)"))
        }
    }

    static func field(_ text: String, _ bounds: ClosedRange<Int>, names: [String], firstName: Int = 0) throws -> Set<Int> {
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(description: "too many slashes: \(part)") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw ParseError(description: "failed to parse int from \(pieces[1])") }
                step = s
            }
            var low: Int, high: Int
            if pieces[0] == "*" || pieces[0] == "?" {
                (low, high) = (bounds.lowerBound, bounds.upperBound)
            } else {
                let ends = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2 else { throw ParseError(description: "too many hyphens: \(part)") }
                low = try value(String(ends[0]), names: names, firstName: firstName)
                high = ends.count == 2 ? try value(String(ends[1]), names: names, firstName: firstName) : low
                if ends.count == 1 && pieces.count == 2 { high = bounds.upperBound }
            }
            guard low >= bounds.lowerBound else { throw ParseError(description: "beginning of range (\(low)) below minimum (\(bounds.lowerBound)): \(part)") }
            guard high <= bounds.upperBound else { throw ParseError(description: "end of range (\(high)) above maximum (\(bounds.upperBound)): \(part)") }
            guard low <= high else { throw ParseError(description: "beginning of range (\(low)) beyond end of range (\(high)): \(part)") }
            result.formUnion(stride(from: low, through: high, by: step))
        }
        return result
    }

    static func value(_ text: String, names: [String], firstName: Int) throws -> Int {
        if let i = names.firstIndex(of: text.lowercased()) { return i + firstName }
        guard let n = Int(text), n >= 0 else { throw ParseError(description: "failed to parse int from \(text)") }
        return n
    }

    func dayMatches(day: Int, weekday: Int) -> Bool {
        let d = days.contains(day), w = weekdays.contains(weekday)
        return anyDay || anyWeekday ? d && w : d || w
    }

    /// The first minute strictly after `date` that the schedule matches, read in `timeZone`;
    /// nil when none within five years (e.g. `0 0 30 2 *`). Local times a DST change skips never
    /// match; repeated ones match each time they occur.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        if let every { return Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + Double(every)) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var t = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let limit = date.addingTimeInterval(5 * 366 * 86400)
        while t <= limit {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: t)
            let month = c.month!, minute = c.minute!
            if !months.contains(month) {
                let next = month == 12 ? DateComponents(year: c.year! + 1, month: 1, day: 1) : DateComponents(year: c.year!, month: month + 1, day: 1)
                guard let d = calendar.date(from: next) else { return nil }
                t = calendar.startOfDay(for: d)
                continue
            }
            if !dayMatches(day: c.day!, weekday: c.weekday! - 1) {
                guard let d = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: t)) else { return nil }
                t = calendar.startOfDay(for: d)
                continue
            }
            if !hours.contains(c.hour!) {
                t = t.addingTimeInterval(Double(3600 - minute * 60))
                continue
            }
            if !minutes.contains(minute) {
                t = t.addingTimeInterval(60)
                continue
            }
            return t
        }
        return nil
    }
}
