import Foundation
import JSON
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `tributary serve` child process on a data directory, on a port it picks itself.
final class ServerChild {
    let process: Process
    let base: URL
    private let logFile: URL

    private init(process: Process, base: URL, logFile: URL) {
        self.process = process
        self.base = base
        self.logFile = logFile
    }

    /// Starts a server on `directory` and waits until it answers `/ready`.
    static func start(
        dataDirectory directory: String, arguments extra: [String] = [], environment: [String: String] = [:]
    ) async throws -> ServerChild {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tributary")
        let inBuild = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/tributary")
        let executable = try #require([beside, inBuild].first { FileManager.default.isExecutableFile(atPath: $0.path) })
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-child-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--data-dir", directory, "--port", "0", "--log-level", "info"] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // The log names the port the server bound.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on 127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).first?.isNumber == false {
                    let child = ServerChild(process: process, base: URL(string: "http://127.0.0.1:\(port)")!, logFile: logFile)
                    try await child.waitUntilReady()
                    return child
                }
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        throw ServerChildError(message: "the server did not start: \(text)")
    }

    private func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let (status, _) = try? await request("/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServerChildError(message: "the server never became ready")
    }

    /// Sends a request; returns the status and the JSON body (null when not JSON).
    func request(_ path: String, method: String = "GET", body: JSONValue? = nil) async throws -> (Int, JSONValue) {
        try await httpRequest(base, path, method: method, body: body)
    }

    /// What the server has logged so far.
    var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it to be gone.
    func kill() async {
        let pid = process.processIdentifier
        precondition(pid > 0, "no child process to kill")
        Foundation.kill(pid, SIGKILL)
        let process = self.process
        _ = try? await offPool { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: logFile)
    }

    /// Stops the server with SIGTERM and returns its exit status.
    func stop() async -> Int32 {
        process.terminate()
        let process = self.process
        _ = try? await offPool { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: logFile)
        return process.terminationStatus
    }

    /// Every record view of `aggregate`, following the list's pages.
    func allViews(_ aggregate: String) async throws -> [JSONValue] {
        var views: [JSONValue] = []
        var after: String?
        repeat {
            let path = "/v1/\(aggregate)?limit=500&includeDeleted=true" + (after.map { "&after=\($0)" } ?? "")
            let (status, page) = try await request(path)
            guard status == 200 else { throw ServerChildError(message: "\(path) answered \(status): \(page)") }
            views += page["items"]?.arrayValue ?? []
            after = page["next"]?.stringValue
        } while after != nil
        return views
    }
}

struct ServerChildError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Sends a request to the server at `base`; returns the status and the JSON body (null when not
/// JSON).
func httpRequest(_ base: URL, _ path: String, method: String = "GET", body: JSONValue? = nil) async throws -> (Int, JSONValue) {
    var request = URLRequest(url: URL(string: path, relativeTo: base)!)
    request.httpMethod = method
    request.timeoutInterval = 30
    if let body {
        request.httpBody = Data(body.jsonBytes())
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    return (status, (try? JSONValue(parsing: Array(data))) ?? .null)
}
