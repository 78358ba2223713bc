/// A resource quantity (apimachinery `resource.Quantity`): a fixed-point decimal such as `100m`,
/// `1.5`, `2Gi`, `500Mi`, `1e3`, `1k`, with the suffix style it was written in.
///
/// The value is `mantissa × 10^exponent`, never a floating-point number. Parsing keeps values
/// exactly down to nano units (`1n`), rounding finer non-zero values away from zero, as
/// Kubernetes does; binary-SI values are capped at 2^63-1. Unlike Kubernetes (which switches to
/// arbitrary precision), a mantissa is at most 19 digits: a value with more significant digits
/// is rounded away from zero to 18 of them, which no real resource amount comes near.
///
/// `description` is the string Kubernetes prints and stores (`1000m` → `1`, `0.5` → `500m`,
/// `1.5Gi` → `1536Mi`); a string already in canonical form is kept as written. Equality,
/// hashing and ordering compare values only (`1` == `1000m` == `1e3m`), like `Quantity.Cmp`.
public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The suffix style, kept from parsing and used when printing.
    public enum Format: String, Sendable, Hashable {
        /// `12e6`
        case decimalExponent = "DecimalExponent"
        /// `12Mi` (12 × 2^20)
        case binarySI = "BinarySI"
        /// `12M` (12 × 10^6), also `100m` and plain numbers
        case decimalSI = "DecimalSI"
    }

    public internal(set) var mantissa: Int64
    public internal(set) var exponent: Int32
    public internal(set) var format: Format
    /// The parsed text, when Kubernetes would print it unchanged.
    var original: String?

    /// `mantissa × 10^exponent`.
    public init(mantissa: Int64, exponent: Int32 = 0, format: Format = .decimalSI) {
        self.mantissa = mantissa
        self.exponent = exponent
        self.format = format
        self.original = nil
    }

    /// A whole number (`resource.NewQuantity`).
    public init(_ value: Int64, format: Format = .decimalSI) {
        self.init(mantissa: value, exponent: 0, format: format)
    }

    /// Thousandths (`resource.NewMilliQuantity`): `Quantity(milli: 1500)` is `1500m`.
    public init(milli: Int64, format: Format = .decimalSI) {
        self.init(mantissa: milli, exponent: -3, format: format)
    }

    public static let zero = Quantity(0)

    public var isZero: Bool { mantissa == 0 }

    /// -1, 0 or 1.
    public var sign: Int { mantissa == 0 ? 0 : (mantissa < 0 ? -1 : 1) }

    /// The value rounded up, away from zero, to a whole number (`Quantity.Value`): `1.5` → 2,
    /// `-1.5` → -2, `100m` → 1. Saturates at `Int64.min`/`Int64.max` where Kubernetes overflows.
    public var value: Int64 { scaledValue(exponent: 0) }

    /// The value in thousandths rounded up, away from zero (`Quantity.MilliValue`): `1` → 1000,
    /// `1n` → 1. Saturates like `value`.
    public var milliValue: Int64 { scaledValue(exponent: -3) }

    /// The value in units of 10^`exponent`, rounded away from zero (`Quantity.ScaledValue`).
    public func scaledValue(exponent target: Int32) -> Int64 {
        let shift = Int(exponent) - Int(target)
        if shift >= 0 {
            return Quantity.scaleUp(mantissa, by: shift) ?? (mantissa < 0 ? .min : .max)
        }
        return Quantity.scaleDownAwayFromZero(mantissa, by: -shift)
    }

    /// An approximation as a `Double`.
    public var doubleValue: Double {
        var result = Double(mantissa)
        var e = Int(exponent)
        while e > 0 { result *= 10; e -= 1 }
        while e < 0 { result /= 10; e += 1 }
        return result
    }

    /// The quantity with the opposite sign (`Quantity.Neg`), in the same format.
    public var negated: Quantity {
        if mantissa == .min { return Quantity(mantissa: Int64.max, exponent: exponent, format: format) }
        return Quantity(mantissa: -mantissa, exponent: exponent, format: format)
    }

    /// The sum (`Quantity.Add`): the format is the left side's unless that is zero, then the right
    /// side's. Exact unless the aligned mantissas would overflow, when the finer digits are
    /// rounded away from zero.
    public static func + (lhs: Quantity, rhs: Quantity) -> Quantity {
        let format = lhs.isZero ? rhs.format : lhs.format
        if rhs.isZero { return Quantity(mantissa: lhs.mantissa, exponent: lhs.exponent, format: format) }
        if lhs.isZero { return Quantity(mantissa: rhs.mantissa, exponent: rhs.exponent, format: format) }
        var e = min(lhs.exponent, rhs.exponent)
        while true {
            if let a = lhs.mantissa(atExponent: e), let b = rhs.mantissa(atExponent: e) {
                let (sum, overflow) = a.addingReportingOverflow(b)
                if !overflow { return Quantity(mantissa: sum, exponent: e, format: format) }
            }
            e += 1
        }
    }

    /// The difference (`Quantity.Sub`), formatted like `+`.
    public static func - (lhs: Quantity, rhs: Quantity) -> Quantity { lhs + rhs.negated }

    public static func += (lhs: inout Quantity, rhs: Quantity) { lhs = lhs + rhs }
    public static func -= (lhs: inout Quantity, rhs: Quantity) { lhs = lhs - rhs }

    /// -1, 0 or 1 as `self` is less than, equal to or greater than `other` (`Quantity.Cmp`).
    public func compare(_ other: Quantity) -> Int {
        let (a, b) = (sign, other.sign)
        if a != b { return a < b ? -1 : 1 }
        if a == 0 { return 0 }
        let e = min(exponent, other.exponent)
        guard let x = mantissa(atExponent: e) else { return a }
        guard let y = other.mantissa(atExponent: e) else { return -b }
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    public static func == (lhs: Quantity, rhs: Quantity) -> Bool { lhs.compare(rhs) == 0 }
    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.compare(rhs) < 0 }

    public func hash(into hasher: inout Hasher) {
        var (m, e) = (mantissa, Int(exponent))
        if m == 0 { e = 0 }
        while m != 0 && m % 10 == 0 { m /= 10; e += 1 }
        hasher.combine(m)
        hasher.combine(e)
    }

    /// The mantissa rescaled to `10^e`, rounding away from zero when `e` is coarser; nil if it
    /// overflows.
    func mantissa(atExponent e: Int32) -> Int64? {
        let shift = Int(exponent) - Int(e)
        return shift >= 0 ? Quantity.scaleUp(mantissa, by: shift) : Quantity.scaleDownAwayFromZero(mantissa, by: -shift)
    }

    static let powersOf10: [Int64] = {
        var p: [Int64] = [1]
        for _ in 1...18 { p.append(p[p.count - 1] * 10) }
        return p
    }()

    /// `m × 10^k`, or nil on overflow.
    static func scaleUp(_ m: Int64, by k: Int) -> Int64? {
        if m == 0 || k == 0 { return m }
        guard k <= 18 else { return nil }
        let (r, overflow) = m.multipliedReportingOverflow(by: powersOf10[k])
        return overflow ? nil : r
    }

    /// `m / 10^k`, rounded away from zero.
    static func scaleDownAwayFromZero(_ m: Int64, by k: Int) -> Int64 {
        if m == 0 || k == 0 { return m }
        guard k <= 18 else { return m > 0 ? 1 : -1 }
        let (q, r) = m.quotientAndRemainder(dividingBy: powersOf10[k])
        return r == 0 ? q : (m > 0 ? q + 1 : q - 1)
    }
}

/// Why a string is not a quantity; `description` is Kubernetes' message.
public struct QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public var description: String { message }

    /// `resource.ErrFormatWrong`.
    public static let formatWrong = QuantityError(
        message: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    /// `resource.ErrNumeric`.
    public static let numeric = QuantityError(message: "unable to parse numeric part of quantity")
    /// `resource.ErrSuffix`.
    public static let suffix = QuantityError(message: "unable to parse quantity's suffix")
}
