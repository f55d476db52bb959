import Foundation
import JSON
import Simulations
import Testing

/// `tributary serve` with a Salesforce org and `tributary backfill`, as an operator runs them.
@Suite("Backfill command", .timeLimit(.minutes(3)))
struct BackfillCommandTests {
    @Test func backfillFollowsTheJobToTheEndAndTheSecretIsNeverLogged() async throws {
        let org = SalesforceOrg(clientSecret: "s3cret-never-logged")
        let orgServer = SalesforceOrgServer(org: org)
        let url = try await orgServer.start()
        defer { Task { await orgServer.stop() } }
        org.populate("Account", count: 300)
        let directory = temporaryPath("backfill-cli")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await ServerChild.start(
            dataDirectory: directory,
            arguments: ["--salesforce-login-url", url, "--salesforce-client-id", org.clientID],
            environment: ["SALESFORCE_CLIENT_SECRET": org.clientSecret]
        )
        let result = try await tributary(["backfill", "--entity", "Account", "--url", server.base.absoluteString])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("backfill done: 300 records"), "\(result.standardOutput)")
        let unknown = try await tributary(["backfill", "--entity", "Lead", "--url", server.base.absoluteString])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("not a mapped Salesforce object"), "\(unknown.standardError)")
        let log = server.log
        #expect(await server.stop() == 0)
        #expect(log.contains("backfill finished"))
        #expect(!log.contains(org.clientSecret))
    }

    @Test func serveRefusesAnIncompleteSalesforceConfiguration() async throws {
        let directory = temporaryPath("backfill-misconfigured")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let withoutID = try await tributary(["serve", "--data-dir", directory, "--port", "0", "--salesforce-login-url", "https://example.my.salesforce.com"])
        #expect(withoutID.status != 0)
        #expect(withoutID.standardError.contains("needs --salesforce-client-id"), "\(withoutID.standardError)")
        let missingFile = try await tributary([
            "serve", "--data-dir", directory, "--port", "0", "--salesforce-login-url", "https://example.my.salesforce.com",
            "--salesforce-client-id", "id", "--salesforce-client-secret-file", directory + "/no-such-file",
        ])
        #expect(missingFile.status != 0)
        #expect(missingFile.standardError.contains("cannot read the Salesforce client secret"), "\(missingFile.standardError)")
    }
}
