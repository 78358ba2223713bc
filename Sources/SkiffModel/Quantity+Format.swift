/// The canonical string form (`Quantity.String`, `CanonicalizeBytes`):
///
/// - no fractional digits and the largest exponent (suffix) that loses no precision:
///   `1000m` → `1`, `0.5` → `500m`, `1500000` → `1500k`, `1.5Gi` → `1536Mi`, `1e4` → `10e3`;
/// - decimal formats use exponents that are multiples of 3 (`n u m "" k M G T P E`, or `eN`);
/// - binary SI uses powers of 1024 (`Ki` ... `Ei`), but values strictly between -1024 and 1024
///   and values with a fraction print as decimal SI (`0.5Ki` → `512`, `1.1Ki` → `1126400m`);
/// - zero is `0`; the sign appears only when negative.
extension Quantity {
    /// The string Kubernetes prints and stores for this quantity.
    public var description: String { original ?? canonicalString }

    /// The canonical form, ignoring how the quantity was written.
    public var canonicalString: String {
        if mantissa == 0 { return "0" }
        if format == .binarySI, let binary = binaryString { return binary }
        let sign = mantissa < 0 ? "-" : ""
        var digits = String(mantissa.magnitude)
        var e = Int(exponent)
        while digits.utf8.count > 1 && digits.utf8.last == UInt8(ascii: "0") {
            digits.removeLast()
            e += 1
        }
        let pad = ((e % 3) + 3) % 3
        if pad > 0 {
            digits += String(repeating: "0", count: pad)
            e -= pad
        }
        return sign + digits + Quantity.decimalSuffix(e, format: format == .decimalExponent ? .decimalExponent : .decimalSI)
    }

    /// `Nx` with the largest power of 1024; nil when Kubernetes prints decimal SI instead (small,
    /// fractional, or beyond 64 bits).
    var binaryString: String? {
        if compare(Quantity(-1024)) > 0 && compare(Quantity(1024)) < 0 { return nil }
        guard var whole = scaledValueExact else { return nil }
        var power = 0
        while whole % 1024 == 0 && whole.magnitude >= 1024 {
            whole /= 1024
            power += 1
        }
        return String(whole) + ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power]
    }

    /// The value as a whole `Int64`, if it is one.
    var scaledValueExact: Int64? {
        if exponent >= 0 { return Quantity.scaleUp(mantissa, by: Int(exponent)) }
        guard exponent >= -18 else { return nil }
        let (q, r) = mantissa.quotientAndRemainder(dividingBy: Quantity.powersOf10[Int(-exponent)])
        return r == 0 ? q : nil
    }

    /// The suffix for `10^e` (e a multiple of 3): SI letters in decimal SI where one exists,
    /// `eN` otherwise and in the decimal-exponent format.
    static func decimalSuffix(_ e: Int, format: Format) -> String {
        if e == 0 { return "" }
        if format == .decimalSI {
            switch e {
            case -9: return "n"
            case -6: return "u"
            case -3: return "m"
            case 3: return "k"
            case 6: return "M"
            case 9: return "G"
            case 12: return "T"
            case 15: return "P"
            case 18: return "E"
            default: break
            }
        }
        return "e\(e)"
    }
}

/// An unsigned decimal number as its digits (most significant first, no leading zeros), for
/// parsing quantities of any length exactly before they are rounded into a `Quantity`.
struct DecimalDigits {
    private(set) var digits: [UInt8]

    /// From ASCII digits.
    init(_ ascii: [UInt8]) {
        digits = Array(ascii.drop { $0 == UInt8(ascii: "0") }.map { $0 - UInt8(ascii: "0") })
    }

    var isZero: Bool { digits.isEmpty }
    var count: Int { digits.count }

    mutating func multiply(byPowerOf2 power: Int) {
        var remaining = power
        while remaining > 0 {
            let step = min(remaining, 32)
            remaining -= step
            var carry: UInt64 = 0
            for i in digits.indices.reversed() {
                let product = UInt64(digits[i]) << UInt64(step) + carry
                digits[i] = UInt8(product % 10)
                carry = product / 10
            }
            while carry > 0 {
                digits.insert(UInt8(carry % 10), at: 0)
                carry /= 10
            }
        }
    }

    /// Drops the last `k` digits, adding one to what remains if any dropped digit was non-zero
    /// (rounding the magnitude up); dropping all digits of a non-zero number leaves `1`.
    mutating func dropRoundingUp(_ k: Int) {
        guard k > 0, !digits.isEmpty else { return }
        if k >= digits.count {
            digits = [1]
            return
        }
        let inexact = digits.suffix(k).contains { $0 != 0 }
        digits.removeLast(k)
        guard inexact else { return }
        var i = digits.count - 1
        while i >= 0 {
            if digits[i] < 9 {
                digits[i] += 1
                return
            }
            digits[i] = 0
            i -= 1
        }
        digits.insert(1, at: 0)
    }

    /// Removes trailing zeros; returns how many (the exponent to add).
    mutating func dropTrailingZeros() -> Int {
        var n = 0
        while digits.count > 1 && digits.last == 0 {
            digits.removeLast()
            n += 1
        }
        return n
    }

    static let int64MaxDigits: [UInt8] = Array(String(Int64.max).utf8).map { $0 - UInt8(ascii: "0") }

    var fitsInt64: Bool {
        if digits.count != 19 { return digits.count < 19 }
        return !DecimalDigits.int64MaxDigits.lexicographicallyPrecedes(digits)
    }

    /// Whether `self × 10^exponent` is greater than `Int64.max`.
    func exceedsInt64Max(exponent: Int) -> Bool {
        if digits.isEmpty { return false }
        let whole = exponent >= 0 ? digits + Array(repeating: 0, count: min(exponent, 20)) : Array(digits.dropLast(-exponent))
        let fraction = exponent >= 0 ? [] : Array(digits.suffix(-exponent))
        if whole.count != 19 { return whole.count > 19 }
        if whole != DecimalDigits.int64MaxDigits { return DecimalDigits.int64MaxDigits.lexicographicallyPrecedes(whole) }
        return fraction.contains { $0 != 0 }
    }

    /// The value; only when `fitsInt64`.
    var int64Value: Int64 { digits.reduce(Int64(0)) { $0 * 10 + Int64($1) } }
}
