import ArgumentParser

/// The `tributary` command line: serve, rebuild a server's read models, backfill from Salesforce, and the operations
/// commands on a data directory (verify, stats, export, import, backup, restore).
@main
struct TributaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "A durable, queryable, replayable mirror of Salesforce records.",
        subcommands: [Serve.self, Rebuild.self, BackfillCommand.self, Verify.self, Stats.self, Export.self, Import.self, Backup.self, Restore.self],
        defaultSubcommand: Serve.self
    )
}
