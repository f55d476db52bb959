import ArgumentParser
import EventSourcingLMDB

/// `tributary stats`: what a journal holds.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a journal's events, streams, size and per-type counts.",
        discussion: "Safe beside a running server."
    )

    @OptionGroup var options: DataDirectoryOptions

    func run() async throws {
        try options.requireJournal()
        let progress = ProgressReporter("stats")
        let statistics = try await operation("stats") {
            try JournalStatistics.collect(directory: options.dataDirectory, progress: progress.update)
        }
        progress.finish()
        print("events         \(grouped(statistics.events)) (last position \(statistics.lastPosition))")
        print("streams        \(grouped(statistics.streams))")
        print("data.mdb       \(megabytes(statistics.fileBytes)) on disk, \(megabytes(statistics.usedBytes)) in use")
        if let first = statistics.firstRecordedAt, let last = statistics.lastRecordedAt {
            print("recorded       \(first) … \(last)")
        }
        print("streams by category:")
        for (category, count) in statistics.streamsByCategory.sorted(by: { $0.key < $1.key }) {
            print("  \(category.padding(28))\(grouped(count))")
        }
        print("events by type:")
        for (type, count) in statistics.eventsByType.sorted(by: { $0.key < $1.key }) {
            print("  \(type.padding(28))\(grouped(count))")
        }
    }

    private func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}

extension String {
    /// The string followed by spaces up to `width` characters (at least one space).
    func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: Swift.max(1, width - count))
    }
}
