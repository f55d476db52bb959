import ArgumentParser
import EventSourcing
import EventSourcingLMDB
import Foundation

/// `tributary restore`: rebuild what is derived from the journal, in place or as of a point in
/// time into a new directory.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a journal's derived data from its events, or restore it as of a point in time into a new directory.",
        discussion: """
            Without --to: rebuilds the stream index of --data-dir from its events and drops its record \
            snapshots, stored read models and index snapshots (no server may run on it). With --to: copies the events up to --until-position or --until-time (all when neither \
            is given) into a new directory, leaving --data-dir untouched. Read models are rebuilt from \
            the journal when a server starts on the directory.
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(name: .customLong("to"), help: "Restore into this new directory instead of in place.")
    var target: String?

    @Option(name: .customLong("until-position"), help: "Keep events up to and including this position (with --to).")
    var untilPosition: UInt64?

    @Option(name: .customLong("until-time"), help: "Keep events recorded at or before this ISO-8601 time, e.g. 2026-11-27T10:00:00Z (with --to).")
    var untilTime: String?

    func validate() throws {
        if untilPosition != nil, untilTime != nil {
            throw ValidationError("give --until-position or --until-time, not both")
        }
        if (untilPosition != nil || untilTime != nil), target == nil {
            throw ValidationError("a point-in-time restore writes a new directory: add --to <directory>")
        }
        if let untilTime, Timestamp(iso8601: untilTime) == nil {
            throw ValidationError("--until-time must be an ISO-8601 time such as 2026-11-27T10:00:00Z")
        }
        if let target, target == options.dataDirectory {
            throw ValidationError("--to must be a different directory from --data-dir")
        }
    }

    func run() async throws {
        try options.requireJournal()
        if let target {
            try await restore(into: target)
        } else {
            let progress = ProgressReporter("rebuilding the stream index")
            let (events, streams) = try await operation("restore") {
                try JournalIndexRebuild.rebuild(directory: options.dataDirectory, progress: progress.update)
            }
            progress.finish()
            // Derived from the events too: the next server start rebuilds them from the journal.
            for derived in ["readmodels", "snapshots"] {
                let path = options.dataDirectory + "/" + derived
                if FileManager.default.fileExists(atPath: path) {
                    do {
                        try FileManager.default.removeItem(atPath: path)
                    } catch {
                        throw StartupError(message: "restore failed: cannot remove \(path): \(error.localizedDescription)")
                    }
                }
            }
            print("rebuilt the stream index of \(options.dataDirectory): \(grouped(events)) events in \(grouped(streams)) streams")
            print("dropped the stored read models and snapshots: the next server start rebuilds them from the journal")
        }
    }

    private func restore(into target: String) async throws {
        let cut: LogCut? = untilPosition.map(LogCut.position) ?? untilTime.flatMap(Timestamp.init(iso8601:)).map(LogCut.time)
        let progress = ProgressReporter("restoring")
        let last = try await operation("restore") { () async throws -> UInt64 in
            let source = try LMDBJournal(
                directory: options.dataDirectory,
                configuration: LMDBJournalConfiguration(lmdb: LMDBConfiguration(readOnly: true))
            )
            let destination: LMDBJournal
            do {
                destination = try LMDBJournal(directory: target)
            } catch {
                await source.close()
                throw error
            }
            do {
                guard try await destination.lastPosition() == 0 else {
                    throw StartupError(message: "restore failed: \(target) already holds a journal; pick a new directory")
                }
                let total = try await source.lastPosition()
                var importer = try await JournalImporter(journal: destination)
                try await importer.copy(from: source, until: cut) { progress.update($0, of: total) }
            } catch {
                await destination.close()
                await source.close()
                throw error
            }
            let last = try await destination.lastPosition()
            await destination.close()
            await source.close()
            return last
        }
        progress.finish()
        print("restored positions 1…\(last) of \(options.dataDirectory) into \(target)")
    }
}
