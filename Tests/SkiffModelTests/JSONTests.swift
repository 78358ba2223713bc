import Testing
@testable import SkiffModel

@Suite struct JSONTests {
    static let valid: [(String, JSON)] = [
        ("{}", JSON.object([:])),
        ("[]", .array([])),
        ("null", .null),
        ("true", .bool(true)),
        ("3", .int(3)),
        ("-0", .int(0)),
        ("3.5", .double(3.5)),
        ("1e3", .double(1000)),
        (#""a\"b\\c\/d\n""#, .string("a\"b\\c/d\n")),
        (#""\u00e9\ud83d\ude00""#, .string("é😀")),
        (#"{"a":[1,{"b":null}]}"#, ["a": [1, ["b": .null]]]),
        (" \n\t{ \"k\" : \"v\" } ", ["k": "v"]),
    ]

    @Test(arguments: valid)
    func parses(text: String, expected: JSON) throws {
        #expect(try JSON.parse(text) == expected)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"\u{01}\"", "{} x", "\"\\x\"", "-", "1e"])
    func rejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func deepNestingIsRefusedNotRecursed() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
    }

    @Test(arguments: [
        JSON.object(["name": "web", "replicas": 3, "ratio": 0.5, "labels": ["a": "b"], "list": [true, .null, "x\u{1}\"y"]]),
        .string("tab\tnewline\n"), .int(Int64.max), .int(Int64.min), .array([]),
    ])
    func roundTrips(value: JSON) throws {
        #expect(try JSON.parse(value.serialized()) == value)
        #expect(try JSON.parse(value.serialized(sortedKeys: true)) == value)
    }

    @Test func integersStayIntegers() throws {
        #expect(JSON.int(3).serializedString() == "3")
        #expect(JSON.double(3).serializedString() == "3")
        #expect(try JSON.parse("3")["x"] == nil)
        #expect(JSON.double(2.0).int == 2)
        #expect(JSON.double(2.5).int == nil)
    }

    @Test func pathSubscriptsCreateAndRemove() {
        var o: JSON = [:]
        o["metadata", "labels", "app"] = "web"
        #expect(o["metadata", "labels"] == ["app": "web"])
        o["metadata", "labels", "app"] = nil
        #expect(o["metadata", "labels"] == [:])
        o["metadata"] = nil
        #expect(o == [:])
    }
}

@Suite struct TimestampTests {
    static let durations: [(Double, String)] = [(0.0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"), (125, "2m5s"), (600, "10m"), (10800, "3h"),
                      (3 * 3600 + 1800, "3h30m"), (8 * 3600, "8h"), (47 * 3600, "47h"), (49 * 3600, "2d1h"), (9 * 86400, "9d"),
                      (800 * 86400, "2y70d"), (-5, "<invalid>")]

    @Test(arguments: durations)
    func humanDuration(seconds: Double, text: String) {
        #expect(Timestamp.humanDuration(seconds) == text)
    }

    @Test func formatsAndParses() {
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(1_795_000_000) == "2026-11-18T11:06:40Z")
        #expect(Timestamp.parse("2026-11-18T11:06:40Z") == 1_795_000_000)
        #expect(Timestamp.parse("2026-11-18T12:06:40+01:00") == 1_795_000_000)
        #expect(Timestamp.parse("2026-11-18T11:06:40.5Z") == 1_795_000_000.5)
        #expect(Timestamp.parse("yesterday") == nil)
        #expect(Timestamp.formatMicro(1.25) == "1970-01-01T00:00:01.250000Z")
    }
}

/// Splicing `resourceVersion` into an object's encoding instead of encoding it again.
@Suite struct JSONSpliceTests {
    @Test(arguments: [
        ["kind": "Pod", "metadata": ["name": "a", "labels": ["metadata": "x"]], "spec": ["metadata": ["name": "inner"]]],
        ["kind": "Pod", "metadata": [:]],
    ] as [JSON])
    func theSplicedBytesAreTheObjectWithItsResourceVersion(object: JSON) throws {
        let (bytes, mark) = object.serializedMarkingMetadata()
        #expect(try JSON.parse(bytes) == object)
        let spliced = JSON.splicing(resourceVersion: 42, into: bytes, at: try #require(mark))
        var expected = object
        expected["metadata", "resourceVersion"] = "42"
        #expect(try JSON.parse(spliced) == expected)
    }

    @Test func noMetadataObjectNoMark() {
        let notAnObject: JSON = ["kind": "Pod", "metadata": "x"]
        #expect(notAnObject.serializedMarkingMetadata().metadata == nil)
        #expect(JSON.array([]).serializedMarkingMetadata().metadata == nil)
    }
}

@Suite struct JSONDuplicateNoticeTests {
    @Test(arguments: [
        (#"{"a":1,"b":{"c":2,"c":3}}"#, true),
        (#"{"a":1,"a":2}"#, true),
        (#"{"a":1,"b":[{"a":1},{"a":2}]}"#, false),
    ])
    func aMemberSeenTwiceIsNoticed(text: String, expected: Bool) throws {
        let (value, hasDuplicates) = try JSON.parseNotingDuplicates(Array(text.utf8))
        #expect(hasDuplicates == expected)
        #expect(value == (try JSON.parse(text)))
    }
}
