import Foundation
import Testing
@testable import SkiffModel

@Suite struct CronScheduleTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func date(_ s: String) -> Date { Date(timeIntervalSince1970: Timestamp.parse(s)!) }
    static func format(_ d: Date?) -> String? { d.map { Timestamp.format($0.timeIntervalSince1970) } }

    /// The next `count` times after `start` (UTC timestamps).
    static func runs(_ schedule: String, after start: String, count: Int = 3, in zone: TimeZone = utc) throws -> [String] {
        let s = try CronSchedule.parse(schedule).get()
        var t = date(start)
        var out: [String] = []
        for _ in 0..<count {
            guard let n = s.next(after: t, in: zone) else { break }
            out.append(format(n)!)
            t = n
        }
        return out
    }

    @Test(arguments: [
        ("*/1 * * * *", "2026-01-01T00:00:30Z", ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z", "2026-01-01T00:03:00Z"]),
        ("*/20 * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:20:00Z", "2026-01-01T00:40:00Z", "2026-01-01T01:00:00Z"]),
        ("5-10/5,30 * * * *", "2026-01-01T00:00:00Z", ["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z", "2026-01-01T00:30:00Z"]),
        ("0 9-17/4 * * *", "2026-01-01T10:00:00Z", ["2026-01-01T13:00:00Z", "2026-01-01T17:00:00Z", "2026-01-02T09:00:00Z"]),
        ("0 0 1 JAN,jul *", "2026-01-02T00:00:00Z", ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"]),
        // 2026-01-01 is a Thursday.
        ("0 12 * * MON-WED", "2026-01-01T00:00:00Z", ["2026-01-05T12:00:00Z", "2026-01-06T12:00:00Z", "2026-01-07T12:00:00Z"]),
        ("0 0 * * 7", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z", "2026-01-18T00:00:00Z"]),
        // Both day fields restricted: the 13th OR a Friday.
        ("0 0 13 * FRI", "2026-01-01T00:00:00Z", ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z"]),
        // Day-of-week restricted with a `*` day-of-month: AND.
        ("0 0 */1 * FRI", "2026-01-01T00:00:00Z", ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-16T00:00:00Z"]),
        ("@hourly", "2026-01-01T00:30:00Z", ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"]),
        ("@daily", "2026-01-01T00:00:00Z", ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"]),
        ("@weekly", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z", "2026-01-18T00:00:00Z"]),
        ("@monthly", "2026-01-15T00:00:00Z", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"]),
        ("@yearly", "2026-01-15T00:00:00Z", ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z"]),
        ("0 0 29 2 *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]),
    ])
    func nextRuns(schedule: String, start: String, expected: [String]) throws {
        #expect(try Self.runs(schedule, after: start, count: expected.count) == expected)
    }

    @Test(arguments: [
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "failed to parse int from 0"),
        ("* * * FOO *", "failed to parse int from FOO"),
        ("@sometimes", "unrecognized descriptor: @sometimes"),
    ])
    func rejects(schedule: String, message: String) {
        guard case .failure(let error) = CronSchedule.parse(schedule) else {
            Issue.record("accepted \(schedule)")
            return
        }
        #expect(error.description == message)
    }

    @Test func neverMatchingScheduleHasNoNextRun() throws {
        #expect(try CronSchedule.parse("0 0 30 2 *").get().next(after: Self.date("2026-01-01T00:00:00Z"), in: Self.utc) == nil)
    }

    @Test func dailyRunFollowsTheTimeZoneAcrossDST() throws {
        // Berlin moves from UTC+1 to UTC+2 on 2026-03-29.
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(try Self.runs("0 9 * * *", after: "2026-03-27T12:00:00Z", count: 3, in: berlin)
                == ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"])
    }

    @Test func skippedLocalTimeDoesNotRunAndRepeatedHourRunsTwice() throws {
        let newYork = TimeZone(identifier: "America/New_York")!
        // 2026-03-08 02:30 does not exist in New York.
        #expect(try Self.runs("30 2 * * *", after: "2026-03-07T12:00:00Z", count: 2, in: newYork)
                == ["2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"])
        // 2026-11-01 01:00-01:59 happens twice (EDT, then EST).
        #expect(try Self.runs("15 1 * * *", after: "2026-11-01T04:00:00Z", count: 2, in: newYork)
                == ["2026-11-01T05:15:00Z", "2026-11-01T06:15:00Z"])
    }

    @Test func everyRunsAtAConstantDelayInWholeSeconds() throws {
        #expect(try Self.runs("@every 90s", after: "2026-01-01T00:00:00Z") ==
                ["2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z", "2026-01-01T00:04:30Z"])
        #expect(try Self.runs("@every 1h30m", after: "2026-01-01T00:00:00Z", count: 2) == ["2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z"])
        // Less than a second is a second; fractions of a second are dropped (robfig/cron's Every).
        #expect(try Self.runs("@every 200ms", after: "2026-01-01T00:00:00Z", count: 2) == ["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"])
        #expect(try Self.runs("@every 2.5s", after: "2026-01-01T00:00:00Z", count: 2) == ["2026-01-01T00:00:02Z", "2026-01-01T00:00:04Z"])
    }

    @Test func everyWithABadDurationIsRefused() {
        guard case .failure(let e) = CronSchedule.parse("@every 5x") else {
            Issue.record("@every 5x parsed")
            return
        }
        #expect(e.description == "failed to parse duration @every 5x: time: invalid duration \"5x\"")
    }
}
