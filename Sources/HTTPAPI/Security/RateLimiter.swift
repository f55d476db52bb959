import Synchronization

/// Per-token request rate limits (`serve --rate-limit`): a token bucket for each token holder
/// (tokens sharing a holder's name, as during a rotation, share its bucket),
/// refilled at `rate` requests per second and holding at most `burst`. A request that finds its
/// bucket empty is refused (429 with `Retry-After`) and costs nothing.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilled: ContinuousClock.Instant
    }

    /// Requests per second each holder may make.
    let rate: Double
    /// The most requests a holder may make at once after being idle.
    let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    /// A limiter granting `rate` requests per second, in bursts of up to `burst` (at least one).
    init(rate: Double, burst: Double? = nil) {
        precondition(rate > 0, "a rate limit must be positive")
        self.rate = rate
        self.burst = max(1, burst ?? rate)
    }

    /// Takes one request from `holder`'s allowance: `nil` when granted, else the seconds until
    /// one will be (whole seconds, at least 1, as `Retry-After` wants them).
    func admit(_ holder: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            var bucket = buckets[holder] ?? Bucket(tokens: burst, refilled: now)
            let elapsed = now - bucket.refilled
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + max(0, seconds) * rate)
            bucket.refilled = now
            defer { buckets[holder] = bucket }
            guard bucket.tokens >= 1 else {
                // Capped at a day: a rate this slow is a misconfiguration, not a reason to trap.
                return Int(min(86_400, max(1, ((1 - bucket.tokens) / rate).rounded(.up))))
            }
            bucket.tokens -= 1
            return nil
        }
    }
}
