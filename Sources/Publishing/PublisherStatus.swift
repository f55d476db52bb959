/// What the publisher has done, for `GET /v1/projections` (and metrics).
public struct PublisherStatus: Sendable, Hashable {
    /// The position published through: every record event at or before it is on the bus.
    public var position: UInt64 = 0
    /// Events accepted by the bus since start.
    public var published = 0
    /// Of those, events sent as references because they were too large.
    public var publishedAsReferences = 0
    /// `PutEvents` calls that failed as a whole (no answer, 5xx, throttling, …) since start.
    public var failedCalls = 0
    /// Entries the bus refused and that were sent again, since start.
    public var retriedEntries = 0
    /// Of the retried entries, those refused with a non-transient code (`AccessDeniedException`,
    /// `MalformedDetail`, …): they hold the publisher back until the cause is fixed.
    public var rejectedEntries = 0
    /// The last failure, if the last attempt failed.
    public var lastError: String?
}
