import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A Tributary server the runner started itself, on a temporary data directory, so scenarios can
/// stop and restart it.
public final class ServerProcess: Sendable {
    /// The `tributary` executable.
    public let executable: URL
    /// The LMDB data directory.
    public let dataDirectory: URL
    /// Where it listens.
    public let target: Target
    /// More `tributary serve` arguments (e.g. `--max-resident`).
    public let arguments: [String]
    /// More environment variables for the server (e.g. `SALESFORCE_CLIENT_SECRET`).
    public let environment: [String: String]
    private let process = Mutex<Process?>(nil)

    /// A server to be started with ``start()``.
    public init(executable: URL, dataDirectory: URL, port: Int, arguments: [String] = [], environment: [String: String] = [:]) {
        self.executable = executable
        self.dataDirectory = dataDirectory
        self.target = Target(host: "127.0.0.1", port: port)
        self.arguments = arguments
        self.environment = environment
    }

    /// Starts the server and waits until `GET /ready` answers 200. Returns how long that took.
    @discardableResult
    public func start(group: any EventLoopGroup, timeout: Duration = .seconds(600)) async throws -> Duration {
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "serve", "--data-dir", dataDirectory.path, "--host", target.host, "--port", String(target.port), "--log-level", "warning",
        ] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let begin = ContinuousClock.now
        try process.run()
        self.process.withLock { $0 = process }
        while ContinuousClock.now - begin < timeout {
            guard process.isRunning else { throw SimulationError("the server exited with status \(process.terminationStatus) while starting") }
            if let client = try? await SimClient.connect(target, group: group) {
                let status = (try? await client.get("/ready"))?.status
                await client.close()
                if status == 200 { return ContinuousClock.now - begin }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw SimulationError("the server was not ready within \(timeout)")
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    public func stop() async {
        guard let process = process.withLock({ $0 }) else { return }
        process.terminate()
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// The server's resident memory, in bytes (Linux `/proc`), or `nil` when unknown.
    public var residentBytes: Int? {
        memory?.resident
    }

    /// The server's resident memory split as Linux counts it, in bytes, or `nil` when unknown:
    /// `anonymous` is the heap and stacks, `file` the mapped files' pages in memory (LMDB's
    /// journal and read models: page cache the kernel takes back under pressure).
    public var memory: (resident: Int, anonymous: Int, file: Int)? {
        guard let status = statusBytes(["VmRSS", "RssAnon", "RssFile", "RssShmem"]),
            let resident = status[0], let anonymous = status[1], let file = status[2]
        else { return nil }
        return (resident, anonymous, file + (status[3] ?? 0))
    }

    /// The most resident memory the server has had since it started (`VmHWM`), in bytes, or
    /// `nil` when unknown.
    public var peakResidentBytes: Int? {
        statusBytes(["VmHWM"])?[0]
    }

    /// The sizes `fields` of the server's `/proc/<pid>/status`, in bytes (`nil` for one not
    /// there), or `nil` when the server is not running.
    private func statusBytes(_ fields: [String]) -> [Int?]? {
        guard let pid = process.withLock({ $0?.processIdentifier }),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return nil }
        let lines = status.split(separator: "\n")
        return fields.map { field in
            guard let line = lines.first(where: { $0.hasPrefix(field + ":") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
    }

    /// A free TCP port on loopback.
    public static func freePort(group: any EventLoopGroup) async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}
