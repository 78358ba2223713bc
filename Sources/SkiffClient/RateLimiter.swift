/// Per-item exponential back-off (client-go's `ItemExponentialFailureRateLimiter`): the n-th
/// consecutive failure of an item waits `baseDelay * 2^(n-1)`, capped at `maxDelay`, until the
/// item is forgotten.
public struct ItemBackoff<Key: Hashable & Sendable>: Sendable {
    public var baseDelay: Duration
    public var maxDelay: Duration
    var failures: [Key: Int] = [:]

    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Records one more failure of `key` and returns how long it should wait.
    public mutating func next(_ key: Key) -> Duration {
        let exponent = failures[key, default: 0]
        failures[key] = exponent + 1
        return Self.delay(base: baseDelay, max: maxDelay, exponent: exponent)
    }

    /// `base * 2^exponent`, capped at `max`.
    static func delay(base: Duration, max: Duration, exponent: Int) -> Duration {
        var d = base
        for _ in 0..<exponent {
            if d >= max || d <= .zero { break }
            d = d * 2
        }
        return d > max ? max : d
    }

    /// The number of failures recorded for `key` since it was last forgotten.
    public func failures(_ key: Key) -> Int { failures[key, default: 0] }

    /// Clears `key`'s failures: its next failure waits `baseDelay` again.
    public mutating func forget(_ key: Key) { failures[key] = nil }
}

/// An overall token bucket (client-go's `BucketRateLimiter` over `rate.Limiter`): `burst` tokens,
/// refilled at `qps` per second; each reservation takes one token, and when none is left the
/// reservation waits until its token will have been refilled.
public struct TokenBucket: Sendable {
    public let qps: Double
    public let burst: Int
    var tokens: Double
    var last: Duration?

    public init(qps: Double = 10, burst: Int = 100) {
        precondition(qps > 0 && burst > 0, "a token bucket needs a positive rate and burst")
        self.qps = qps
        self.burst = burst
        self.tokens = Double(burst)
    }

    /// Takes one token at `now` and returns how long its holder must wait (zero if one was free).
    public mutating func reserve(at now: Duration) -> Duration {
        if let last, now > last {
            tokens = min(Double(burst), tokens + Self.seconds(now - last) * qps)
        }
        if last == nil || now > last! { last = now }
        tokens -= 1
        return tokens >= 0 ? .zero : .nanoseconds(Int64((-tokens / qps * 1e9).rounded(.up)))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
