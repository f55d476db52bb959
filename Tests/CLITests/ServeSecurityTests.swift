import Foundation
import JSON
import Testing

/// `serve`'s security and publishing flags, on the built executable.
@Suite("serve: security and publishing flags")
struct ServeSecurityTests {
    @Test func serveRefusesToListenOpenlyBeyondLoopback() async throws {
        let directory = temporaryPath("serve-open")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let open = try await tributary(["serve", "--data-dir", directory, "--port", "0", "--host", "0.0.0.0"])
        #expect(open.status == 1)
        #expect(open.standardError.contains("--insecure"), "\(open.standardError)")
    }

    @Test func serveRefusesUnusableTokensAndSecrets() async throws {
        let directory = temporaryPath("serve-tokens")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokens = directory + "/tokens"
        try "relay write short-token".write(toFile: tokens, atomically: true, encoding: .utf8)
        let badTokens = try await tributary(["serve", "--data-dir", directory + "/data", "--port", "0", "--tokens-file", tokens])
        #expect(badTokens.status == 1)
        #expect(badTokens.standardError.contains("line 1"), "\(badTokens.standardError)")
        #expect(!badTokens.standardError.contains("short-token"), "a token is never printed")

        let missing = try await tributary(["serve", "--data-dir", directory + "/data", "--port", "0", "--cdc-hmac-secret-file", directory + "/none"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("CDC signing secret"), "\(missing.standardError)")

        let noCredentials = try await tributary(["serve", "--data-dir", directory + "/data", "--port", "0", "--eventbridge-bus", "b", "--eventbridge-region", "eu-west-1"])
        #expect(noCredentials.status == 1)
        #expect(noCredentials.standardError.contains("AWS_ACCESS_KEY_ID"), "\(noCredentials.standardError)")
    }

    @Test func aRateLimitNeedsTokens() async throws {
        let directory = temporaryPath("serve-rate")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let refused = try await tributary(["serve", "--data-dir", directory, "--port", "0", "--rate-limit", "5"])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("--rate-limit applies per token"), "\(refused.standardError)")
        let retention = try await tributary(["serve", "--data-dir", directory, "--port", "0", "--idempotency-retention", "0"])
        #expect(retention.status != 0)
        #expect(retention.standardError.contains("--idempotency-retention must be positive"), "\(retention.standardError)")
        let flush = try await tributary(["serve", "--data-dir", directory, "--port", "0", "--index-flush-events", "0"])
        #expect(flush.status != 0)
        #expect(flush.standardError.contains("--index-flush-events must be between 1 and 16777216"), "\(flush.standardError)")
        let bad = try await tributary(["serve", "--data-dir", directory, "--port", "0", "--log-format", "xml"])
        #expect(bad.status != 0)
        #expect(bad.standardError.contains("--log-format must be text or json"), "\(bad.standardError)")
    }

    @Test func aScopeForMetricsOrTheOpenAPIDocumentNeedsTokensAndAKnownScope() async throws {
        let directory = temporaryPath("serve-metrics-scope")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let refused = try await tributary(["serve", "--data-dir", directory, "--port", "0", "--metrics-scope", "admin"])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("needs access tokens to check"), "\(refused.standardError)")
        let unknown = try await tributary(["serve", "--data-dir", directory, "--port", "0", "--openapi-scope", "everyone"])
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("'ingest', 'query' or 'admin'"), "\(unknown.standardError)")
    }

    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let directory = temporaryPath("serve-json-logs")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await ServerChild.start(dataDirectory: directory, arguments: ["--log-format", "json"])
        let log = server.log
        #expect(await server.stop() == 0)
        let lines = log.split(separator: "\n")
        #expect(lines.count >= 2, "\(log)")
        for line in lines {
            let entry = try JSONValue(parsing: Array(line.utf8))
            #expect(entry["level"]?.stringValue != nil && entry["message"]?.stringValue != nil && entry["time"]?.stringValue != nil, "\(line)")
        }
        let starting = lines.compactMap { try? JSONValue(parsing: Array($0.utf8)) }.first { $0["message"] == "starting" }
        #expect(starting?["storage"]?.stringValue == directory)
        #expect(starting?["label"] == "tributary")
    }
}
