import AWS
import Foundation
import JSON

#if canImport(Glibc)
import Glibc
#endif

/// moto's server (`moto[server]` from Tools/requirements.txt, installed by `make python-tools`)
/// on a free loopback port: a real EventBridge and SQS emulator for the publisher's tests.
final class MotoServer: Sendable {
    let url: String
    let process: Process
    static let credentials = AWSCredentials(accessKeyID: "AKIDMOTOTEST", secretAccessKey: "moto-does-not-check-signatures")
    static let region = "us-east-1"

    struct Missing: Error, CustomStringConvertible {
        var description: String { "moto_server is not installed: run `make python-tools` (or set TRIBUTARY_PYTHON to a python with moto[server])" }
    }

    /// The moto_server next to the Python tools' interpreter.
    static var executable: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let python = ProcessInfo.processInfo.environment["TRIBUTARY_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? root + "/.build/python-tools/bin/python3"
        let candidate = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("moto_server").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// Starts moto and waits until it answers.
    init() async throws {
        guard let executable = Self.executable else { throw Missing() }
        let port = try Self.freePort()
        url = "http://127.0.0.1:\(port)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-H", "127.0.0.1", "-p", "\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if (try? await events.call("ListEventBuses", [:])) != nil { break }
            guard ContinuousClock.now < deadline, process.isRunning else {
                await stop()
                throw StartFailed()
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    struct StartFailed: Error {}

    /// Freezes the emulator (SIGSTOP): connections are accepted by the kernel but never answered.
    func pause() { kill(process.processIdentifier, SIGSTOP) }
    /// Lets a paused emulator go on (SIGCONT).
    func resume() { kill(process.processIdentifier, SIGCONT) }

    /// Kills the emulator and waits for it on a thread of its own (not the cooperative pool).
    func stop() async {
        guard process.isRunning else { return }
        // moto's server does not stop on SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        let process = self.process
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                process.waitUntilExit()
                continuation.resume()
            }.start()
        }
    }

    var events: AWSJSONClient {
        AWSJSONClient(
            endpoint: try! AWSEndpoint(url: url),
            signer: SigV4Signer(credentials: Self.credentials, region: Self.region, service: "events"),
            targetPrefix: "AWSEvents", jsonVersion: "1.1", timeout: .seconds(5)
        )
    }

    var sqs: AWSJSONClient {
        AWSJSONClient(
            endpoint: try! AWSEndpoint(url: url),
            signer: SigV4Signer(credentials: Self.credentials, region: Self.region, service: "sqs"),
            targetPrefix: "AmazonSQS", jsonVersion: "1.0", timeout: .seconds(10)
        )
    }

    /// Creates bus `bus`, a queue, and a rule on the bus routing `source: tributary` to the queue;
    /// returns the queue's URL.
    func routeToQueue(bus: String, source: String = "tributary") async throws -> String {
        _ = try await events.call("CreateEventBus", ["Name": .string(bus)])
        let queueURL = try require(try await sqs.call("CreateQueue", ["QueueName": .string("\(bus)-queue")])["QueueUrl"]?.stringValue)
        let attributes = try await sqs.call("GetQueueAttributes", ["QueueUrl": .string(queueURL), "AttributeNames": ["QueueArn"]])
        let queueARN = try require(attributes["Attributes"]?["QueueArn"]?.stringValue)
        _ = try await events.call("PutRule", [
            "Name": "to-queue", "EventBusName": .string(bus),
            "EventPattern": .string(#"{"source": ["\#(source)"]}"#), "State": "ENABLED",
        ])
        _ = try await events.call("PutTargets", [
            "Rule": "to-queue", "EventBusName": .string(bus),
            "Targets": [["Id": "queue", "Arn": .string(queueARN)]],
        ])
        return queueURL
    }

    /// Receives (and deletes) the messages waiting on `queueURL`: the EventBridge events, parsed.
    func receive(from queueURL: String) async throws -> [JSONValue] {
        let answer = try await sqs.call("ReceiveMessage", [
            "QueueUrl": .string(queueURL), "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1,
        ])
        var events: [JSONValue] = []
        for message in answer["Messages"]?.arrayValue ?? [] {
            let body = try require(message["Body"]?.stringValue)
            events.append(try JSONValue(parsing: Array(body.utf8)))
            _ = try await sqs.call("DeleteMessage", ["QueueUrl": .string(queueURL), "ReceiptHandle": message["ReceiptHandle"] ?? .null])
        }
        return events
    }

    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw StartFailed() }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// `try #require` without the Testing macro, for helpers outside tests.
private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw RequireFailed() }
    return value
}

private struct RequireFailed: Error {}
