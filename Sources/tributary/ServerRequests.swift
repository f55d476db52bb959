import Foundation
import JSON

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Calls to a running server's HTTP API from the command line (`rebuild`, `backfill`).
struct ServerRequests {
    /// The server's base URL, as given.
    let url: String
    let base: URL

    /// Requests to the server at `url`; a plain error when it is not a URL.
    init(url: String) throws {
        guard let base = URL(string: url), base.scheme == "http" || base.scheme == "https" else {
            throw StartupError(message: "'\(url)' is not an http(s) URL")
        }
        self.url = url
        self.base = base
    }

    /// Sends `method` to `path` with an optional JSON body; returns the status and the parsed
    /// answer. Fails with a plain message when the server cannot be reached or answers non-JSON.
    func send(_ method: String, _ path: String, json body: JSONValue? = nil) async throws -> (status: Int, body: JSONValue) {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.jsonBytes())
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw StartupError(message: "cannot reach the server at \(url): \(error.localizedDescription)")
        }
        do {
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, try JSONValue(parsing: Array(data)))
        } catch {
            throw StartupError(message: "the server answered something that is not JSON: \(error)")
        }
    }
}
