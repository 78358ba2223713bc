import Testing
@testable import SkiffModel

@Suite struct QuantityTests {
    /// Input and the string Kubernetes prints for it (canonical text is kept as written).
    @Test(arguments: [
        ("0", "0"), ("1", "1"), ("100m", "100m"), ("1.5", "1500m"), ("0.5", "500m"), (".5", "500m"),
        ("1000m", "1"), ("1.0", "1"), ("1000", "1k"), ("1500000", "1500k"), ("10", "10"),
        ("1k", "1k"), ("1M", "1M"), ("1G", "1G"), ("1T", "1T"), ("1P", "1P"), ("1E", "1E"),
        ("1n", "1n"), ("1u", "1u"), ("0.1n", "1n"), ("1.5n", "2n"), ("-0.1n", "-1n"), ("0.000000001", "1n"),
        ("2Gi", "2Gi"), ("500Mi", "500Mi"), ("1536Mi", "1536Mi"), ("1.5Gi", "1536Mi"), ("1024Ki", "1Mi"),
        ("1Ki", "1Ki"), ("0.5Ki", "512"), ("1.1Ki", "1126400m"), ("1048576", "1048576"), ("7Ei", "7Ei"),
        ("8Ei", "9223372036854775807"), ("1.5Ei", "1536Pi"),
        ("1e3", "1e3"), ("1e4", "10e3"), ("1.5e3", "1500"), ("12e6", "12e6"), ("1E3", "1E3"), ("1e-3", "1e-3"),
        ("1e+3", "1e+3"), ("5e-1", "500e-3"), ("1e21", "1e21"),
        ("-1", "-1"), ("-1.5", "-1500m"), ("-2Gi", "-2Gi"), ("-0", "0"),
        ("+1", "+1"), ("01", "01"), ("5.", "5."), (".", "0"), ("00", "0"),
        ("123456789012345678", "123456789012345678"), ("1234567890123456789", "1234567890123456789"),
        ("1000E", "1e21"),
    ])
    func printsAsKubernetes(input: String, printed: String) throws {
        let q = try Quantity(input)
        #expect(q.description == printed)
        #expect(try Quantity(printed) == q)
    }

    /// Input and Kubernetes' error.
    @Test(arguments: [
        ("", QuantityError.formatWrong), ("abc", .formatWrong), ("1KB", .formatWrong), ("1 ", .formatWrong),
        (" 1", .formatWrong), ("1.2.3", .formatWrong), ("1e3.5", .formatWrong), 
        ("1K", .suffix), ("--1", .suffix), ("1ki", .suffix), ("1e", .suffix), ("1e-", .suffix), ("1m3", .suffix), ("1Mb", .formatWrong),
        (".Pi", .numeric), ("-Ei", .numeric),
    ])
    func rejectsAsKubernetes(input: String, error: QuantityError) {
        #expect(throws: error) { try Quantity(input) }
    }

    @Test func errorMessages() {
        #expect(QuantityError.formatWrong.description
                == "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        #expect(QuantityError.suffix.description == "unable to parse quantity's suffix")
        #expect(QuantityError.numeric.description == "unable to parse numeric part of quantity")
    }

    /// Input, `value` (rounded up, away from zero) and `milliValue`.
    @Test(arguments: [
        ("1.5", Int64(2), Int64(1500)), ("100m", 1, 100), ("-1.5", -2, -1500), ("1n", 1, 1), ("-1n", -1, -1),
        ("2Gi", 2_147_483_648, 2_147_483_648_000), ("1e3", 1000, 1_000_000), ("0", 0, 0), ("1.0001", 2, 1001),
        ("8Ei", Int64.max, Int64.max), ("1e30", Int64.max, Int64.max), ("-1e30", Int64.min, Int64.min),
    ])
    func values(input: String, value: Int64, milli: Int64) throws {
        let q = try Quantity(input)
        #expect(q.value == value)
        #expect(q.milliValue == milli)
    }

    @Test func comparesByValue() throws {
        #expect(try Quantity("1") == Quantity("1000m"))
        #expect(try Quantity("1e3") == Quantity("1k"))
        #expect(try Quantity("1Ki") == Quantity("1024"))
        #expect(try Quantity("1Gi") > Quantity("1G"))
        #expect(try Quantity("-1") < Quantity("0"))
        #expect(try Quantity("1e30") > Quantity("8Ei"))
        #expect(try Quantity("-1e30") < Quantity("-8Ei"))
        #expect(try Quantity("999m").compare(Quantity("1")) == -1)
        let sorted = try ["1Gi", "100m", "2", "-5", "1k"].map { try Quantity($0) }.sorted().map(\.description)
        #expect(sorted == ["-5", "100m", "2", "1k", "1Gi"])
        #expect(try Set(["1", "1000m", "1e0", "0.001k"].map { try Quantity($0) }).count == 1)
    }

    /// Left, right, sum, difference (formats follow the left side unless it is zero).
    @Test(arguments: [
        ("1", "500m", "1500m", "500m"),
        ("1Gi", "512Mi", "1536Mi", "512Mi"),
        ("0", "1Gi", "1Gi", "-1Gi"),
        ("100m", "100m", "200m", "0"),
        ("1", "1500m", "2500m", "-500m"),
        ("1k", "1", "1001", "999"),
    ])
    func arithmetic(a: String, b: String, sum: String, difference: String) throws {
        let (x, y) = (try Quantity(a), try Quantity(b))
        #expect((x + y).description == sum)
        #expect((x - y).description == difference)
        var z = x
        z += y
        z -= y
        #expect(z == x)
    }

    @Test func exactArithmeticKeepsFormat() throws {
        #expect((try Quantity("1Gi") + Quantity("512Mi")).description == "1536Mi")
        #expect((try Quantity("1") - Quantity("1500m")).description == "-500m")
        #expect((try Quantity("0") + Quantity("1Gi")).format == .binarySI)
        #expect((try Quantity("+1") + Quantity("0")).description == "1")
        #expect(Quantity(milli: 1500).description == "1500m")
        #expect(Quantity(2048, format: .binarySI).description == "2Ki")
        #expect(Quantity(1000).description == "1k")
        // Beyond 19 significant digits the finer operand is rounded (Kubernetes stays exact).
        #expect(try Quantity("1E") + Quantity("1n") > Quantity("1E"))
    }

    @Test(arguments: [
        (JSON.string("1Gi"), "1Gi"), (.string(" 250m\n"), "250m"), (.int(2), "2"), (.double(0.5), "500m"),
        (.double(1e20), "100e18"), (.int(-3), "-3"),
    ])
    func fromJSON(json: JSON, printed: String) throws {
        #expect(try Quantity(json: json).description == printed)
    }

    @Test func rejectsNonQuantityJSON() {
        #expect(throws: QuantityError.formatWrong) { try Quantity(json: .bool(true)) }
        #expect(throws: QuantityError.formatWrong) { try Quantity(json: .null) }
    }
}
