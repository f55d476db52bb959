import ArgumentParser
import Foundation
import JSON

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
        guard let base = URL(string: url) else { throw StartupError(message: "'\(url)' is not a URL") }
        let started = try await request(base.appendingPathComponent("v1/admin/projections/rebuild"), method: "POST")
        guard let job = started["job"]?.stringValue else {
            throw StartupError(message: "the server did not start a rebuild: \(started["detail"]?.stringValue ?? started.jsonString)")
        }
        print("rebuild \(job) started")
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let status = try await request(base.appendingPathComponent("v1/admin/projections/rebuild/\(job)"), method: "GET")
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

    private func request(_ url: URL, method: String) async throws -> JSONValue {
        var request = URLRequest(url: url)
        request.httpMethod = method
        let data: Data
        do {
            (data, _) = try await URLSession.shared.data(for: request)
        } catch {
            throw StartupError(message: "cannot reach the server at \(self.url): \(error.localizedDescription)")
        }
        do {
            return try JSONValue(parsing: Array(data))
        } catch {
            throw StartupError(message: "the server answered something that is not JSON: \(error)")
        }
    }
}
