/// A token bucket: `burst` requests at once, refilled at `perSecond`.
///
/// Pure: time comes in as the duration since any fixed origin, so tests need no clock.
struct RateLimiter: Sendable {
    let burst: Int
    let perSecond: Double
    private var tokens: Double
    private var last: Duration?

    init(burst: Int, perSecond: Double) {
        precondition(burst > 0 && perSecond >= 0, "burst must be positive, rate not negative")
        self.burst = burst
        self.perSecond = perSecond
        self.tokens = Double(burst)
    }

    /// Takes a token if one is there at time `now`; `false` means the request is refused.
    mutating func allow(at now: Duration) -> Bool {
        if let last, now > last {
            let elapsed = Double((now - last).components.seconds)
                + Double((now - last).components.attoseconds) / 1e18
            tokens = min(Double(burst), tokens + elapsed * perSecond)
        }
        last = max(last ?? now, now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
