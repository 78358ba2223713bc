/// Parsing, as apimachinery's `resource.ParseQuantity`:
///
///     quantity ::= [+-] digits [. digits] suffix      (digits may be empty: "." is 0)
///     suffix   ::= "" | n | u | m | k | M | G | T | P | E     (decimal SI)
///                | Ki | Mi | Gi | Ti | Pi | Ei                (binary SI)
///                | (e | E) [+-] digits                        (decimal exponent)
extension Quantity {
    /// Parses `text` (no surrounding blanks; see `init(json:)`).
    ///
    /// Errors are Kubernetes': `QuantityError.formatWrong` for text outside the syntax,
    /// `.suffix` for an unknown suffix (`1K`, `1ki`), `.numeric` for a number without digits
    /// where Kubernetes cannot take its integer fast path (`.Pi`).
    public init(_ text: String) throws(QuantityError) {
        self = try Quantity.parse(text)
    }

    /// A quantity field of a JSON object: a string, or a number (`cpu: 2`, `cpu: 0.5`), which
    /// Kubernetes reads from its JSON text. Strings are trimmed of blanks first, as Kubernetes does.
    public init(json: JSON) throws(QuantityError) {
        switch json {
        case .string(let s): self = try Quantity.parse(s.trimmingBlanks)
        case .int(let i): self = try Quantity.parse(String(i))
        case .double(let d): self = try Quantity.parse(JSON.format(d))
        default: throw QuantityError.formatWrong
        }
    }

    static func parse(_ text: String) throws(QuantityError) -> Quantity {
        if text.isEmpty { throw QuantityError.formatWrong }
        if text == "0" {
            var q = Quantity(0)
            q.original = text
            return q
        }
        let scan = try QuantityScan(Array(text.utf8))
        guard let (base, exponent, format) = interpretSuffix(scan.suffix) else { throw QuantityError.suffix }

        // Kubernetes keeps the text when its int64 fast path applies and the text is canonical.
        var fastPath = false
        var keepText = false
        let num = scan.num.isEmpty ? [UInt8(ascii: "0")] : scan.num
        if base == 10 {
            let scale = Int(exponent) - scan.denom.count
            if num.count + scan.denom.count <= 18 && scale >= -9 {
                fastPath = true
                let shifted = num + scan.denom
                keepText = scale % 3 == 0 && !shifted.suffix(3).elementsEqual("000".utf8) && shifted[0] != UInt8(ascii: "0")
            }
        } else if scan.denom.isEmpty && 15 - num.count - Int(exponent) * 3 / 10 - 1 >= 0 {
            let value = num.reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) }
            if value.multipliedReportingOverflow(by: Int64(1) << Int64(exponent)).overflow == false {
                fastPath = true
                keepText = Int(exponent) % 10 == 0 && value & 7 != 0
            }
        }
        if !fastPath && !scan.valueHasDigits { throw QuantityError.numeric }

        var digits = DecimalDigits(num + scan.denom)
        var exp10 = (base == 10 ? Int(exponent) : 0) - scan.denom.count
        if base == 2 { digits.multiply(byPowerOf2: Int(exponent)) }
        var q = Quantity(mantissa: 0, exponent: 0, format: format)
        if digits.isZero { return q }

        if exp10 < -9 {
            digits.dropRoundingUp(-9 - exp10)
            exp10 = -9
        }
        if format == .binarySI && digits.exceedsInt64Max(exponent: exp10) {
            digits = DecimalDigits(Array(String(Int64.max).utf8))
            exp10 = 0
        }
        exp10 += digits.dropTrailingZeros()
        if !digits.fitsInt64 {
            let extra = digits.count - 18
            digits.dropRoundingUp(extra)
            exp10 += extra
        }
        let magnitude = digits.int64Value
        q.mantissa = scan.positive ? magnitude : -magnitude
        q.exponent = Int32(clamping: exp10)
        if format == .binarySI && exp10 < 0 && digits.count <= -exp10 { q.format = .decimalSI }
        if keepText { q.original = text }
        return q
    }

    static let decimalSuffixes: [String: Int32] = [
        "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
    ]
    static let binarySuffixes: [String: Int32] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]

    /// Base, exponent and format of a suffix (`quantitySuffixer.interpret`).
    static func interpretSuffix(_ suffix: String) -> (Int, Int32, Format)? {
        if let e = decimalSuffixes[suffix] { return (10, e, .decimalSI) }
        if let e = binarySuffixes[suffix] { return (2, e, .binarySI) }
        guard suffix.utf8.count > 1, let first = suffix.utf8.first,
              first == UInt8(ascii: "e") || first == UInt8(ascii: "E"),
              let e = Int64(suffix.dropFirst()) else { return nil }
        return (10, Int32(truncatingIfNeeded: e), .decimalExponent)
    }
}

/// `parseQuantityString`: sign, numerator digits (leading zeros dropped), fraction digits, suffix.
struct QuantityScan {
    var positive = true
    var num: [UInt8] = []
    var denom: [UInt8] = []
    var suffix = ""
    /// Whether Kubernetes' `value` text (number without suffix) holds at least one digit.
    var valueHasDigits = true

    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    init(_ s: [UInt8]) throws(QuantityError) {
        var pos = 0
        if let c = s.first, c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
            positive = c == UInt8(ascii: "+")
            pos = 1
        }
        while pos < s.count && s[pos] == UInt8(ascii: "0") { pos += 1 }
        if pos == s.count { return }  // only zeros (or a bare sign): the value is "0"
        let numStart = pos
        while pos < s.count && QuantityScan.isDigit(s[pos]) { pos += 1 }
        num = Array(s[numStart..<pos])
        if pos < s.count && s[pos] == UInt8(ascii: ".") {
            pos += 1
            let denomStart = pos
            while pos < s.count && QuantityScan.isDigit(s[pos]) { pos += 1 }
            denom = Array(s[denomStart..<pos])
        }
        valueHasDigits = s[..<pos].contains(where: QuantityScan.isDigit)
        let suffixStart = pos
        let letters = "eEinumkKMGTP".utf8
        while pos < s.count && letters.contains(s[pos]) { pos += 1 }
        if pos < s.count && (s[pos] == UInt8(ascii: "-") || s[pos] == UInt8(ascii: "+")) { pos += 1 }
        while pos < s.count && QuantityScan.isDigit(s[pos]) { pos += 1 }
        guard pos == s.count else { throw QuantityError.formatWrong }
        suffix = String(decoding: s[suffixStart...], as: UTF8.self)
    }
}

extension String {
    /// The string without leading and trailing blanks (Go's `strings.TrimSpace`, ASCII blanks).
    var trimmingBlanks: String {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
        let bytes = utf8
        guard let start = bytes.firstIndex(where: { !blank($0) }), let end = bytes.lastIndex(where: { !blank($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
