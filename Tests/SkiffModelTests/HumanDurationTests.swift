import Testing
import SkiffModel

/// `Timestamp.humanDuration` at the boundaries of Kubernetes' `duration.HumanDuration`, and
/// RFC 3339 round trips.
@Suite struct HumanDurationTests {
    static let minute = 60.0, hour = 3600.0, day = 86400.0, year = 365 * 86400.0

    static let durations: [(Double, String)] = [
        // Up to two seconds of clock skew reads as now; Go truncates toward zero.
        (-1, "0s"), (-1.5, "0s"), (-1.99, "0s"), (-2, "<invalid>"), (-90, "<invalid>"),
        (0, "0s"), (0.9, "0s"), (1.9, "1s"), (119, "119s"), (119.9, "119s"),
        (120, "2m"), (121, "2m1s"), (9 * minute + 59, "9m59s"), (10 * minute, "10m"), (10 * minute + 59, "10m"),
        (179 * minute + 59, "179m"), (3 * hour, "3h"), (3 * hour + 59 * minute, "3h59m"), (7 * hour + 59 * minute + 59, "7h59m"),
        (8 * hour, "8h"), (47 * hour + 59 * minute, "47h"), (48 * hour, "2d"), (7 * day + 23 * hour, "7d23h"),
        (8 * day, "8d"), (729 * day, "729d"), (730 * day, "2y"), (731 * day, "2y1d"), (8 * year - day, "7y364d"),
        (8 * year, "8y"), (8 * year + 300 * day, "8y"),
    ]

    @Test(arguments: durations)
    func humanDuration(seconds: Double, text: String) {
        #expect(Timestamp.humanDuration(seconds) == text)
    }

    @Test(arguments: [0.0, 1, 59, 951_782_400, 1_795_000_000, 4_102_444_800, -86_400, -1])
    func formatThenParse(seconds: Double) {
        let text = Timestamp.format(seconds)
        #expect(Timestamp.parse(text) == seconds)
        #expect(text.count == 20)
        #expect(text.hasSuffix("Z"))
    }

    @Test(arguments: [
        ("2000-02-29T00:00:00Z", 951_782_400.0), ("2100-01-01T00:00:00Z", 4_102_444_800), ("1969-12-31T00:00:00Z", -86_400),
        ("2026-11-18t11:06:40z", 1_795_000_000), ("2026-11-18T05:36:40-05:30", 1_795_000_000),
        ("2026-11-18T11:06:40.250000Z", 1_795_000_000.25),
    ])
    func parses(text: String, seconds: Double) {
        #expect(Timestamp.parse(text) == seconds)
    }

    @Test(arguments: ["", "2026-11-18", "2026-11-18 11:06:40Z", "2026-11-18T11:06:40", "2026-11-18T11:06:40+0100",
                      "2026-11-18T11:06:40Zjunk", "2026-1x-18T11:06:40Z"])
    func rejects(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func formatDropsFractionsAndMicroKeepsThem() {
        #expect(Timestamp.format(1_795_000_000.999) == "2026-11-18T11:06:40Z")
        #expect(Timestamp.formatMicro(1_795_000_000.5) == "2026-11-18T11:06:40.500000Z")
        #expect(Timestamp.parse(Timestamp.formatMicro(1.25)) == 1.25)
    }
}
