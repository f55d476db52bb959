import Foundation

/// The Python that `make python-tools` sets up (pinned botocore, moto, prometheus_client), for
/// the tests that check against them: `TRIBUTARY_PYTHON` if set, else
/// `.build/python-tools/bin/python3`. Shared by the test targets that run Python scripts.
public enum PythonTools {
    /// The package's root directory.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The interpreter, if installed.
    public static var python: String? {
        if let configured = ProcessInfo.processInfo.environment["TRIBUTARY_PYTHON"], !configured.isEmpty { return configured }
        let local = packageRoot + "/.build/python-tools/bin/python3"
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }

    /// The Python tools are not installed.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "the Python tools are not installed: run `make python-tools` (or set TRIBUTARY_PYTHON)" }
    }

    /// Runs `script` (a path under the package root) with `input` on stdin; returns stdout. Waits
    /// on a thread of its own, not on Swift's cooperative pool (one thread per core), which the
    /// other tests' servers need meanwhile.
    public static func run(_ script: String, input: Data) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try runBlocking(script, input: input) }) }.start()
        }
    }

    private static func runBlocking(_ script: String, input: Data) throws -> Data {
        guard let python else { throw Missing() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [packageRoot + "/" + script]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Write and read concurrently: large inputs and outputs would fill the pipes.
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ScriptFailed(script: script, status: process.terminationStatus, stderr: String(decoding: errors, as: UTF8.self))
        }
        return output
    }

    /// A script that exited with a failure status.
    public struct ScriptFailed: Error, CustomStringConvertible {
        public var script: String
        public var status: Int32
        public var stderr: String
        public var description: String { "\(script) exited with \(status): \(stderr)" }
    }
}
