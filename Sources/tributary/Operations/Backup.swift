import ArgumentParser
import EventSourcingLMDB

/// `tributary backup`: a consistent hot copy, verified.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a journal (safe while the server runs) into a new directory, compacted, then verify the copy.",
        discussion: "The copy is the state of one commit. Serve it, or restore from it, like any data directory. Exits 1 when the copy fails or does not verify."
    )

    @OptionGroup var options: DataDirectoryOptions

    @Option(name: .customLong("to"), help: "The directory to create the copy in (must not exist, or be empty).")
    var target: String

    func run() async throws {
        try options.requireJournal()
        let report = try await operation("backup") {
            try JournalBackup.copy(directory: options.dataDirectory, to: target)
        }
        print("copied \(options.dataDirectory) to \(target); verifying the copy:")
        printSummary(report)
        guard report.isClean else { throw ExitCode(1) }
    }
}
