import ArgumentParser
import JSON

/// `tributary rebuild`: asks a running server to rebuild its read models (re-reading its mapping
/// file) and waits for the job to finish.
struct Rebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a running server's read models from its journal, e.g. after editing the mapping file.",
        discussion: "Reads keep being served from the old views until the rebuild finishes. Exits 0 when it is done, 1 when it failed."
    )

    @Option(help: "The server's base URL.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "Seconds to wait for the rebuild to finish.")
    var timeout = 600

    func run() async throws {
        let server = try ServerRequests(url: url)
        let started = try await server.send("POST", "v1/admin/projections/rebuild").body
        guard let job = started["job"]?.stringValue else {
            throw StartupError(message: "the server did not start a rebuild: \(started["detail"]?.stringValue ?? started.jsonString)")
        }
        print("rebuild \(job) started")
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let status = try await server.send("GET", "v1/admin/projections/rebuild/\(job)").body
            switch status["state"]?.stringValue {
            case "done":
                print("rebuild \(job) done at position \(status["position"]?.jsonString ?? "?")")
                return
            case "failed":
                throw StartupError(message: "rebuild \(job) failed: \(status["error"]?.stringValue ?? "unknown error")")
            default:
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        throw StartupError(message: "rebuild \(job) did not finish within \(timeout) s; it goes on in the server")
    }
}
