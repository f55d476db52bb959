/// A read model fed by the committed log.
///
/// A projection applies events strictly in position order, exactly once each, and records in
/// `applied` the position its queries stand at (everything through it is applied and, for a
/// stored projection, stored); readers that need their own write wait on that watch. Projections are
/// actors, so their views are read and updated without data races; `ProjectionRunner` feeds them.
public protocol Projection: Actor {
    /// A stable name, shown in `GET /v1/projections`.
    nonisolated var name: String { get }
    /// The position its queries stand at: every event through it is applied (and stored). While
    /// it holds events back (see `apply(_:through:deferring:)`) it has been handed more.
    nonisolated var applied: PositionWatch { get }
    /// The stream categories whose events this projection folds, or `nil` (the default) for
    /// every event. The runner sorts each page of the log by category once and hands this
    /// projection only its own events, so a projection of one record type neither copies nor
    /// skips the other types' events, and its commits are measured in its own events.
    nonisolated var categories: Set<String>? { get }
    /// Applies `events`, consecutive among this projection's `categories` and in position
    /// order, all after `applied.position` and at most `end`; the log between them held nothing
    /// for this projection, so once they are applied the projection stands at `end`. `events`
    /// may be empty (the log moved on with other categories' events only). A projection that
    /// stores its state may fail (a full disk): it must then be unchanged, and is handed the
    /// same events again later.
    func apply(_ events: [RecordedEvent], through end: UInt64) throws
    /// Applies `events` as `apply(_:through:)` does, but while `deferring` the projection may
    /// hold them in memory instead of storing them, to store each record it touches once for
    /// many events (a catch-up over a long log). Returns the position its queries stand at: `end`
    /// once everything handed is stored, an earlier position while events are held back. The
    /// runner advances `applied` to it, and hands the next events after `end` regardless.
    /// A call with `deferring` false stores everything held.
    ///
    /// When it throws, the projection drops whatever it held back as well: it stands where its
    /// queries stood, at `applied.position`, and is handed the events after that again. The
    /// default implementation holds nothing back.
    func apply(_ events: [RecordedEvent], through end: UInt64, deferring: Bool) throws -> UInt64
}

extension Projection {
    public nonisolated var categories: Set<String>? { nil }

    public func apply(_ events: [RecordedEvent], through end: UInt64, deferring: Bool) throws -> UInt64 {
        try apply(events, through: end)
        return end
    }

    /// Applies `events` (consecutive, in position order, all after `applied.position`), standing
    /// at the last of them afterwards.
    public func apply(_ events: [RecordedEvent]) throws {
        guard let last = events.last else { return }
        try apply(events, through: last.position)
    }
}
