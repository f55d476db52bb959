import ArgumentParser

/// The `tributary` command line: serve, and (as they arrive) the operations commands.
@main
struct TributaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "A durable, queryable, replayable mirror of Salesforce records.",
        subcommands: [Serve.self, Rebuild.self],
        defaultSubcommand: Serve.self
    )
}
