import Foundation
import JSON
import Salesforce
import Testing

/// Runs `mount`/`umount` with `arguments`; whether it succeeded.
@discardableResult
func runMount(_ command: String, _ arguments: [String]) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/" + command)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}

/// Whether this machine lets the tests mount a small tmpfs (root in the CI container).
func canMountTmpfs() -> Bool {
    let probe = temporaryPath("mount-probe")
    try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: probe) }
    guard runMount("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]) else { return false }
    return runMount("umount", [probe])
}

/// A full disk: writes answer 503 with problem+json, nothing is half-written, and the server
/// carries on by itself once there is space again.
@Suite("Disk full", .timeLimit(.minutes(3)))
struct DiskFullTests {
    func creates(_ ids: [String], batch: Int) -> JSONValue {
        .array(ids.enumerated().map { offset, id in
            [
                "ChangeEventHeader": [
                    "entityName": "Account", "recordIds": [.string(id)], "changeType": "CREATE", "changeOrigin": "",
                    "transactionKey": .string("full-\(batch)"), "sequenceNumber": .number(JSONNumber(offset + 1)),
                    "commitTimestamp": 1_767_225_600_000, "commitNumber": 1, "commitUser": "005000000000000AAA", "changedFields": [],
                ],
                "Name": .string(String(repeating: "n", count: 2_000)),
            ]
        })
    }

    @Test(.enabled(if: canMountTmpfs(), "mounting a tmpfs needs root"))
    func writesAnswer503WhileTheDiskIsFullAndResumeWhenSpaceReturns() async throws {
        signal(SIGPIPE, SIG_IGN)
        let mountPoint = temporaryPath("full-disk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(runMount("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint]))
        defer {
            runMount("umount", [mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        let directory = mountPoint + "/data"
        let server = try await ServerChild.start(dataDirectory: directory)
        var acknowledged: [String] = []
        var refusal: (Int, JSONValue)?
        for batch in 0..<200 {
            let ids = (0..<50).map { SalesforceID.normalize("001F" + String(format: "%011d", batch * 50 + $0))! }
            let (status, body) = try await server.request("/v1/cdc", method: "POST", body: creates(ids, batch: batch))
            guard status == 200 else {
                refusal = (status, body)
                break
            }
            acknowledged += ids
        }
        let (status, problem) = try #require(refusal, "the 6 MB disk never filled up")
        #expect(status == 503)
        #expect(problem["status"] == 503)
        #expect(problem["detail"]?.stringValue?.contains("nothing was written") == true)
        let detail = problem["detail"]?.stringValue ?? ""
        #expect(detail.contains("the disk may be full") || detail.contains("the disk is full"), "\(detail)")
        #expect(acknowledged.count >= 50)

        // Space comes back: the same server takes writes again, with nothing of the refused
        // batches in the log.
        try #require(runMount("mount", ["-o", "remount,size=32m", mountPoint]))
        let retry = SalesforceID.normalize("001R00000000001")!
        let (after, body) = try await server.request("/v1/cdc", method: "POST", body: creates([retry], batch: 999))
        #expect(after == 200)
        let position = body["position"]?.int64Value ?? 0
        #expect(position == Int64(acknowledged.count + 1))
        for id in acknowledged + [retry] {
            let (read, view) = try await server.request("/v1/clients/\(id)?minPosition=\(position)")
            #expect(read == 200 && view["id"]?.stringValue == id, "\(id)")
        }
        #expect(await server.stop() == 0)
        let verify = try await tributary(["verify", "--data-dir", directory])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }
}
