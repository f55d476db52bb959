import Logging
import ServiceLifecycle

/// The service that follows the journal and feeds every projection, until graceful shutdown.
///
/// It reads each page of the log once, sorts it by stream category once for the projections that
/// fold only some categories (each record type's read model), cuts each share into slices once,
/// and hands every projection its share concurrently; a projection that is already past some
/// of those events (restored from a snapshot) skips them. While they apply a full page, the
/// next one is already being read and decoded. While starting up, until it first reaches the
/// end of the log, projections may hold events back from their stores (a record read model then
/// stores each record it touches once for many events); they store everything before the
/// runner, at the end of the log, waits for the journal's next commit rather than polling.
/// A graceful shutdown while they hold events drops them (the next start reads them again from
/// the stored checkpoints): shutting down is not held up by a large store. The set of
/// projections is asked for on every page, so a rebuilt projection swapped in is fed from
/// wherever it stands; a projection taken out of the set must not be put back while it holds
/// events (the runner forgets how far it was handed). A projection that fails to apply a page
/// (its store's disk is full) is logged, left out for `retryDelay` (doubling with each failure
/// in a row, up to a minute) and then handed every event after its `applied` position again,
/// held ones included; the others go on meanwhile.
public struct ProjectionRunner: Service {
    private let journal: any Journal
    private let projections: @Sendable () -> [any Projection]
    private let batchSize: Int
    /// Events per read while starting up, until the runner first reaches the end of the log.
    private let startUpBatchSize: Int
    private let logger: Logger
    /// The most events handed to a projection in one `apply`. Each apply of a stored read model
    /// is one commit, so larger slices write each B-tree page fewer times: a full replay took 7%
    /// less time with pages of 8,192 and slices of 2,048 than with 2,048 and 512, with no loss
    /// under `cdc-batch`. A slice of 2,048 holds a pool thread for about 50 ms.
    package static let applySlice = 2048
    /// The most events handed to a projection in one `apply` while starting up, before the
    /// runner first reaches the end of the log: a full replay after a restore or a lost read
    /// model store took 12% less time (887,000 events) with slices of 8,192 in pages of 32,768,
    /// a commit then rewriting about half as many pages per event. Each such apply holds a pool
    /// thread for up to a few hundred milliseconds, acceptable while `/ready` still answers 503,
    /// not once the server serves.
    static let startUpApplySlice = 8192

    /// The pause before a projection that failed to apply events is handed them again.
    private let retryDelay: Duration

    /// A runner feeding `projections` from `journal`, `batchSize` events per read
    /// (`startUpBatchSize`, if given, until it first reaches the end of the log).
    public init(
        journal: any Journal,
        projections: [any Projection],
        batchSize: Int = 8192,
        startUpBatchSize: Int? = nil,
        retryDelay: Duration = .seconds(1),
        logger: Logger
    ) {
        self.init(journal: journal, batchSize: batchSize, startUpBatchSize: startUpBatchSize, retryDelay: retryDelay, logger: logger) {
            projections
        }
    }

    /// A runner feeding whatever projections `projections` returns at each page.
    public init(
        journal: any Journal,
        batchSize: Int = 8192,
        startUpBatchSize: Int? = nil,
        retryDelay: Duration = .seconds(1),
        logger: Logger,
        projections: @escaping @Sendable () -> [any Projection]
    ) {
        self.startUpBatchSize = startUpBatchSize ?? batchSize
        self.retryDelay = retryDelay
        self.journal = journal
        self.projections = projections
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        // The next page is read (and decoded) while the projections apply this one; it is used
        // when the projections end up where it starts, which they do unless the set changed.
        var prefetched: (after: UInt64, read: Task<[RecordedEvent], any Error>)?
        defer { prefetched?.read.cancel() }
        // Projections whose last apply failed: left out until their retry time, so the others
        // go on; each failure in a row doubles the pause, up to a minute.
        var failing: [ObjectIdentifier: (failures: Int, retryAt: ContinuousClock.Instant)] = [:]
        // Until the first read that is not a full page (a partial or an empty one): larger pages
        // and slices (see `startUpApplySlice`), and projections may hold events back from their
        // stores (see `Projection.apply(_:through:deferring:)`).
        var startingUp = true
        // How far each projection has been handed events, where that is past its `applied`
        // (it holds events back): the next events it is handed start there.
        var handed: [ObjectIdentifier: UInt64] = [:]
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let all = self.projections()
            guard !all.isEmpty else {
                try? await gracefulShutdown()
                return
            }
            let now = ContinuousClock.now
            let projections = all.filter { failing[ObjectIdentifier($0)].map { $0.retryAt <= now } ?? true }
            let nextRetry = failing.values.map(\.retryAt).filter { $0 > now }.min()
            guard !projections.isEmpty else {
                try? await Task.sleep(until: nextRetry ?? now + retryDelay)
                continue
            }
            let handedNow = handed
            func handedThrough(_ projection: any Projection) -> UInt64 {
                max(projection.applied.position, handedNow[ObjectIdentifier(projection)] ?? 0)
            }
            let cursor = projections.map(handedThrough).min() ?? 0
            let events: [RecordedEvent]
            do {
                if let next = prefetched, next.after == cursor {
                    events = try await next.read.value
                } else {
                    prefetched?.read.cancel()
                    events = try await journal.readAll(after: cursor, limit: startingUp ? startUpBatchSize : batchSize)
                }
            } catch {
                logger.error("projections stopped: cannot read the journal", metadata: ["error": "\(error)"])
                throw error
            }
            prefetched = nil
            let outcomes: [(ObjectIdentifier, UInt64?)]
            if let last = events.last {
                let pageSize = startingUp ? startUpBatchSize : batchSize
                if events.count == pageSize {
                    // A full page: more is probably committed already.
                    let journal = self.journal
                    prefetched = (last.position, Task { try await journal.readAll(after: last.position, limit: pageSize) })
                } else {
                    startingUp = false
                }
                let applySlice = startingUp ? Self.startUpApplySlice : Self.applySlice
                let shares = Self.slices(of: events, for: projections, size: applySlice)
                let deferring = startingUp
                let logger = self.logger
                outcomes = await withTaskGroup(of: (ObjectIdentifier, UInt64?).self) { group in
                    for projection in projections {
                        let share = shares[projection.categories] ?? []
                        let from = handedThrough(projection)
                        group.addTask {
                            let through = await Self.feed(
                                projection, share, after: from, through: last.position, slice: applySlice, deferring: deferring, logger: logger
                            )
                            return (ObjectIdentifier(projection), through)
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
            } else {
                // At the end of the log: from here on, live page and slice sizes, and nothing
                // held back. Projections that still hold events store them first.
                startingUp = false
                let holding = projections.filter { handedThrough($0) > $0.applied.position }
                if holding.isEmpty {
                    if let nextRetry {
                        // A projection waits for its retry: wake for it even if nothing is committed.
                        try? await Task.sleep(until: nextRetry)
                    } else {
                        let waitFrom = cursor
                        await cancelWhenGracefulShutdown { await journal.waitForCommit(after: waitFrom) }
                    }
                    continue
                }
                let logger = self.logger
                outcomes = await withTaskGroup(of: (ObjectIdentifier, UInt64?).self) { group in
                    for projection in holding {
                        let end = handedThrough(projection)
                        group.addTask {
                            let through = await Self.feed(
                                projection, [], after: projection.applied.position, through: end, slice: Self.applySlice, deferring: false,
                                logger: logger
                            )
                            return (ObjectIdentifier(projection), through)
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
            }
            let retryDelay = self.retryDelay
            for (projection, through) in outcomes {
                if let through {
                    failing[projection] = nil
                    handed[projection] = through
                } else {
                    // It dropped what it held back: it is handed everything after `applied` again.
                    handed[projection] = nil
                    let failures = (failing[projection]?.failures ?? 0) + 1
                    let pause = min(retryDelay * (1 << min(failures - 1, 16)), max(retryDelay, .seconds(60)))
                    failing[projection] = (failures, .now + pause)
                }
            }
            // Projections swapped out by a rebuild are forgotten.
            let current = Set(all.map { ObjectIdentifier($0) })
            failing = failing.filter { current.contains($0.key) }
            handed = handed.filter { current.contains($0.key) }
        }
    }

    /// Hands `projection` its `share` of a page (in slices of at most `slice`), skipping what it
    /// was already handed (through `from`; restored from a snapshot, it may be past some of the
    /// page), and takes it to `end`, the page's last position. Returns `end`, or `nil` when an
    /// apply failed (logged; the projection then stands at its `applied` position).
    private static func feed(
        _ projection: any Projection,
        _ share: [[RecordedEvent]],
        after from: UInt64,
        through end: UInt64,
        slice: Int,
        deferring: Bool,
        logger: Logger
    ) async -> UInt64? {
        guard from < end else { return from }
        let pending = from < (share.first?.first?.position ?? 0)
            ? share
            : chunked(share.joined().filter { $0.position > from }, size: slice)
        do {
            try await apply(pending, to: projection, through: end, deferring: deferring)
            // Without deferring nothing may be held back, or the runner would hand it the end
            // of the log again and again.
            assert(deferring || projection.applied.position >= end, "\(projection.name) held events back when told not to")
            return end
        } catch {
            logger.error(
                "projection failed to apply events; it will be handed them again",
                metadata: ["projection": "\(projection.name)", "after": "\(projection.applied.position)", "error": "\(error)"]
            )
            return nil
        }
    }

    /// Applies `slices` (consecutive events, all after those `projection` was handed) and takes
    /// it to `end`, advancing its `applied` to where its queries stand after each apply.
    ///
    /// In slices: each apply holds a thread of the shared pool for its whole slice, and a long one
    /// would starve every other task (two cores, two threads). The last (or only) slice takes the
    /// projection to `end`; with no slices, an empty apply does.
    package static func apply(_ slices: [[RecordedEvent]], to projection: any Projection, through end: UInt64, deferring: Bool) async throws {
        for index in slices.indices {
            let events = slices[index]
            let through = index == slices.count - 1 ? end : events[events.count - 1].position
            projection.applied.advance(to: try await projection.apply(events, through: through, deferring: deferring))
        }
        if slices.isEmpty {
            projection.applied.advance(to: try await projection.apply([], through: end, deferring: deferring))
        }
    }

    /// The events of `page` sorted out once for each set of categories `projections` ask for
    /// (keyed by that set; `nil`, every event), each in position order and cut into slices of at
    /// most `size`. Built once per page and shared: a slice is copied out of the page once, not
    /// once per projection (copying events, a retain for each of their parts, took 4% of a
    /// full replay).
    package static func slices(of page: [RecordedEvent], for projections: [any Projection], size: Int) -> [Set<String>?: [[RecordedEvent]]] {
        var wanted: Set<Set<String>?> = []
        for projection in projections { wanted.insert(projection.categories) }
        var shares: [Set<String>?: [[RecordedEvent]]] = [:]
        if wanted.contains(nil) { shares[nil] = page.count <= size ? [page] : chunked(page, size: size) }
        let categories = Set(wanted.compactMap { $0 }.joined())
        guard !categories.isEmpty else { return shares }
        var byCategory: [String: [[RecordedEvent]]] = [:]
        for category in categories { byCategory[category] = [] }
        for index in page.indices {
            let category = page[index].stream.category
            guard let slot = byCategory.index(forKey: category) else { continue }
            if byCategory.values[slot].last.map({ $0.count >= size }) ?? true {
                byCategory.values[slot].append([])
            }
            byCategory.values[slot][byCategory.values[slot].count - 1].append(page[index])
        }
        for set in wanted {
            guard let set else { continue }
            if set.count == 1, let only = set.first {
                shares[set] = byCategory[only]
            } else {
                shares[set] = chunked(set.flatMap { Array((byCategory[$0] ?? []).joined()) }.sorted { $0.position < $1.position }, size: size)
            }
        }
        return shares
    }

    /// `events` in consecutive slices of at most `size`.
    static func chunked(_ events: [RecordedEvent], size: Int) -> [[RecordedEvent]] {
        stride(from: 0, to: events.count, by: size).map { Array(events[$0..<min(events.count, $0 + size)]) }
    }
}
