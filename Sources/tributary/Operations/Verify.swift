import ArgumentParser
import EventSourcingLMDB

/// `tributary verify`: checks a journal end to end.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a journal: every record's checksum, gap-free positions, continuous stream versions, and the stream index.",
        discussion: "Safe beside a running server: it reads one consistent snapshot. Prints a summary and every fault with its position and stream; exits 0 when clean, 1 on any fault."
    )

    @OptionGroup var options: DataDirectoryOptions

    func run() async throws {
        try options.requireJournal()
        let progress = ProgressReporter("verify")
        let report = try await operation("verify") {
            try JournalVerifier.verify(directory: options.dataDirectory, progress: progress.update)
        }
        progress.finish()
        printSummary(report)
        guard report.isClean else { throw ExitCode(1) }
    }
}

/// Prints what `verify` (or `backup`'s check of its copy) found.
func printSummary(_ report: JournalVerification) {
    let unfinished = report.indexedPastThrough > 0 ? " (and \(grouped(report.indexedPastThrough)) entries of an unfinished flush)" : ""
    print(
        "events \(grouped(report.events)), streams \(grouped(report.streams)), last position \(report.lastPosition), index written through \(report.indexedThrough)\(unfinished)"
    )
    for fault in report.faults { print("FAULT \(fault)") }
    if report.faultCount > report.faults.count {
        print("… and \(report.faultCount - report.faults.count) more faults")
    }
    print(report.isClean ? "clean" : "\(report.faultCount) fault\(report.faultCount == 1 ? "" : "s") found")
}
