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
    /// Applies `events` (consecutive, in position order, all after `applied.position`). A
    /// projection that stores its state may fail (a full disk): it must then be unchanged, and
    /// is handed the same events again later.
    func apply(_ events: [RecordedEvent]) throws
}
