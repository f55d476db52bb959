import Logging
import ServiceLifecycle

/// Saves projection snapshots periodically and once more on graceful shutdown, and loads them
/// at start-up, so a restart replays only the events after the last snapshot.
///
/// Put it before the `ProjectionRunner` in the service list: services stop in reverse order, so
/// the final snapshots are taken after the runner has stopped feeding the projections, and
/// before the journal closes.
public struct ProjectionSnapshotService: Service {
    private let store: ProjectionSnapshotStore
    private let interval: Duration
    private let logger: Logger
    private let projections: @Sendable () -> [any SnapshottableProjection]

    /// A service saving what `projections` returns into `store` every `interval`.
    public init(
        store: ProjectionSnapshotStore,
        interval: Duration,
        logger: Logger,
        projections: @escaping @Sendable () -> [any SnapshottableProjection]
    ) {
        self.store = store
        self.interval = interval
        self.logger = logger
        self.projections = projections
    }

    public func run() async throws {
        var saved: [String: (stamp: String, position: UInt64)] = [:]
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await save(&saved)
        }
    }

    /// Saves every projection that has moved since its last snapshot.
    private func save(_ saved: inout [String: (stamp: String, position: UInt64)]) async {
        for projection in projections() {
            let captured = await projection.snapshot()
            let position = captured.position
            let stamp = projection.snapshotStamp
            if let last = saved[projection.name], last.stamp == stamp, last.position >= position { continue }
            let started = ContinuousClock.now
            let bytes = captured.encode()
            do {
                try store.save(name: projection.name, stamp: stamp, position: position, bytes: bytes)
                saved[projection.name] = (stamp, position)
                logger.debug(
                    "projection snapshot saved",
                    metadata: [
                        "projection": "\(projection.name)", "position": "\(position)", "bytes": "\(bytes.count)",
                        "duration": "\(ContinuousClock.now - started)",
                    ]
                )
            } catch {
                logger.warning("projection snapshot not saved", metadata: ["projection": "\(projection.name)", "error": "\(error)"])
            }
        }
    }

    /// Loads each projection's snapshot when there is a usable one: stamped like the projection,
    /// intact, and not beyond `journalEnd` (a snapshot ahead of its journal belongs to another
    /// copy of the data and is ignored). Unusable snapshots are logged and left to be replaced.
    ///
    /// - Returns: the position each restored projection resumes after, by name.
    public static func restore(
        _ projections: [any SnapshottableProjection],
        from store: ProjectionSnapshotStore,
        journalEnd: UInt64,
        logger: Logger
    ) async -> [String: UInt64] {
        var restored: [String: UInt64] = [:]
        for projection in projections {
            let started = ContinuousClock.now
            let snapshot: ProjectionSnapshotStore.Snapshot?
            do {
                snapshot = try store.load(name: projection.name, stamp: projection.snapshotStamp)
            } catch {
                logger.notice("projection snapshot ignored; replaying the log", metadata: ["projection": "\(projection.name)", "reason": "\(error)"])
                continue
            }
            guard let snapshot else { continue }
            guard snapshot.position <= journalEnd else {
                logger.notice(
                    "projection snapshot ignored: it is ahead of the journal; replaying the log",
                    metadata: ["projection": "\(projection.name)", "snapshot": "\(snapshot.position)", "journal": "\(journalEnd)"]
                )
                continue
            }
            do {
                try await projection.restore(from: snapshot.bytes, position: snapshot.position)
                restored[projection.name] = snapshot.position
                logger.info(
                    "projection restored from snapshot",
                    metadata: ["projection": "\(projection.name)", "position": "\(snapshot.position)", "duration": "\(ContinuousClock.now - started)"]
                )
            } catch {
                logger.warning("projection snapshot does not decode; replaying the log", metadata: ["projection": "\(projection.name)", "error": "\(error)"])
            }
        }
        return restored
    }
}
