/// A read model fed by the committed log.
///
/// A projection applies events strictly in position order, exactly once each, and records how far
/// it has got in `applied`; readers that need their own write wait on that watch. Projections are
/// actors, so their views are read and updated without data races; `ProjectionRunner` feeds them.
public protocol Projection: Actor {
    /// A stable name, shown in `GET /v1/projections`.
    nonisolated var name: String { get }
    /// The position of the last event this projection has applied.
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
}

extension Projection {
    public nonisolated var categories: Set<String>? { nil }

    /// Applies `events` (consecutive, in position order, all after `applied.position`), standing
    /// at the last of them afterwards.
    public func apply(_ events: [RecordedEvent]) throws {
        guard let last = events.last else { return }
        try apply(events, through: last.position)
    }
}
