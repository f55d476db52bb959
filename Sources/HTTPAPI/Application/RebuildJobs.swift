import CRM
import EventSourcing
import Foundation
import JSON
import Logging
import Synchronization

/// Rebuilds of the read models: each builds a fresh set of projections from position 0 beside
/// the live ones, then swaps them in, so reads are answered from the old views until the new
/// ones have caught up.
final class RebuildJobs: Sendable {
    enum State: String, Sendable {
        case running, done, failed
    }

    struct Job: Sendable {
        var id: String
        var state: State
        var position: UInt64 = 0
        var startedAt: Timestamp
        var finishedAt: Timestamp?
        var error: String?

        var json: JSONValue {
            var object: JSONObject = [
                "job": .string(id),
                "state": .string(state.rawValue),
                "position": .number(JSONNumber(position)),
                "startedAt": .string(startedAt.iso8601),
            ]
            if let finishedAt { object["finishedAt"] = .string(finishedAt.iso8601) }
            if let error { object["error"] = .string(error) }
            return .object(object)
        }
    }

    private let jobs = Mutex<[String: Job]>([:])
    private let journal: any Journal
    private let readModels: ReadModels
    private let logger: Logger

    init(journal: any Journal, readModels: ReadModels, logger: Logger) {
        self.journal = journal
        self.readModels = readModels
        self.logger = logger
    }

    /// The job `id`, if there is one.
    func job(_ id: String) -> Job? {
        jobs.withLock { $0[id] }
    }

    /// Starts rebuilding the read models with `mappings` and returns the job id at once.
    /// The work runs in `runner`, the service that owns background jobs.
    func start(mappings: MappingSet, in runner: RebuildRunner) -> String {
        let id = UUID().uuidString.lowercased()
        jobs.withLock { $0[id] = Job(id: id, state: .running, startedAt: .now()) }
        runner.submit { [self] in await self.run(id: id, mappings: mappings) }
        return id
    }

    private func run(id: String, mappings: MappingSet) async {
        do {
            let fresh = try readModels.rebuildProjections(for: mappings)
            let projections: [any Projection] = fresh.values.map { $0 }
            var position: UInt64 = 0
            while true {
                try Task.checkCancellation()
                let target = readModels.lowestAppliedPosition ?? 0
                if position >= target { break }
                let events = try await journal.readAll(after: position, limit: 8192)
                guard let last = events.last else { break }
                // Each projection its own record type's events, all of them at once, holding
                // records back (see `Projection.apply(_:through:deferring:)`).
                let shares = ProjectionRunner.slices(of: events, for: projections, size: ProjectionRunner.applySlice)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for projection in projections {
                        let share = shares[projection.categories] ?? []
                        group.addTask {
                            try await ProjectionRunner.apply(share, to: projection, through: last.position, deferring: true)
                        }
                    }
                    try await group.waitForAll()
                }
                position = last.position
                jobs.withLock { $0[id]?.position = position }
            }
            // Everything held back is stored before the new read models are put in force.
            for projection in projections {
                try await ProjectionRunner.apply([], to: projection, through: position, deferring: false)
            }
            try readModels.replace(with: fresh)
            jobs.withLock { jobs in
                jobs[id]?.state = .done
                jobs[id]?.finishedAt = .now()
            }
            logger.info("read models rebuilt", metadata: ["job": "\(id)", "position": "\(position)"])
        } catch {
            jobs.withLock { jobs in
                jobs[id]?.state = .failed
                jobs[id]?.finishedAt = .now()
                jobs[id]?.error = "\(error)"
            }
            logger.error("read model rebuild failed", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }
}
