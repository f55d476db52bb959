import ArgumentParser
import JSON

/// `tributary backfill`: asks a running server to backfill an entity from Salesforce and follows
/// the job with a progress bar until it ends.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Backfill an entity's records from Salesforce into a running server.",
        discussion: """
            The server must be started with a Salesforce org (--salesforce-login-url and friends). The \\
            job runs in the server: interrupting this command leaves it running, and a server restart \\
            resumes it after its last page. Exits 0 when the job is done, 1 when it failed or could not start.
            """
    )

    @Option(help: "The Salesforce object, e.g. Account.")
    var entity: String

    @Option(help: "Only records changed since this ISO-8601 time, e.g. 2026-01-01T00:00:00Z.")
    var since: String?

    @Flag(name: .customLong("include-deleted"), help: "Read deleted records too (queryAll); they are mirrored as deleted.")
    var includeDeleted = false

    @Option(help: "The server's base URL.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "Seconds to follow the job before leaving it running in the server.")
    var timeout = 86_400

    func run() async throws {
        let server = try ServerRequests(url: url)
        var body: JSONObject = ["entity": .string(entity), "includeDeleted": .bool(includeDeleted)]
        if let since { body["since"] = .string(since) }
        let (status, started) = try await server.send("POST", "v1/backfill", json: .object(body))
        guard status == 202, let job = started["job"]?.stringValue else {
            throw StartupError(message: "the backfill did not start: \(started["detail"]?.stringValue ?? started.jsonString)")
        }
        print("backfill \(job) of \(entity) started")
        let progress = ProgressReporter("backfilling \(entity)")
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let job = try await server.send("GET", "v1/backfill/\(job)").body
            let records = UInt64(job["records"]?.int64Value ?? 0)
            progress.update(records, of: UInt64(job["totalSize"]?.int64Value ?? Int64(records)))
            switch job["state"]?.stringValue {
            case "done":
                progress.finish()
                print(
                    "backfill done: \(grouped(records)) records in \(job["pages"]?.jsonString ?? "?") pages, "
                        + "\(job["applied"]?.jsonString ?? "?") applied, \(job["duplicates"]?.jsonString ?? "?") duplicates, \(job["errors"]?.jsonString ?? "?") errors"
                )
                return
            case "failed":
                progress.finish()
                throw StartupError(message: "backfill failed: \(job["error"]?.stringValue ?? "unknown error")")
            default:
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        throw StartupError(message: "backfill \(job) did not finish within \(timeout) s; it goes on in the server")
    }
}
