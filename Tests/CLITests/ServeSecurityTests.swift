import Foundation
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
}
