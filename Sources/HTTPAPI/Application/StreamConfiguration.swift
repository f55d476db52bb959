/// Limits and timings of the live event stream (`GET /v1/events/stream`).
public struct StreamConfiguration: Sendable {
    /// The most streams open at once; more answer 503 with `Retry-After`.
    public var maxStreams = 64
    /// How often an idle stream sends a comment line, so proxies and clients see it alive.
    public var heartbeatInterval: Duration = .seconds(15)
    /// How far (in events) a consumer that has caught up may fall behind the log again before it
    /// is told so and disconnected (it resumes with `Last-Event-ID`), once the oldest event it has
    /// not been sent was committed more than `maxLagDuration` ago: a burst the consumer is
    /// draining does not count. A consumer catching up from an old position is not held to it
    /// until it has caught up once.
    public var maxLag: UInt64 = 100_000
    /// How old the oldest unsent event of a consumer more than `maxLag` behind may be.
    public var maxLagDuration: Duration = .seconds(10)
    /// How long one write may wait for a consumer that reads nothing before the connection is
    /// closed.
    public var stallTimeout: Duration = .seconds(30)
    /// How many events are read from the journal and written at a time.
    public var pageSize = 256

    /// The defaults.
    public init() {}
}
