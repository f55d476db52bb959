import JSON
import Logging
@testable import SalesforceAPI
import Simulations
import Testing

/// The REST client against the simulated org over real HTTP: tokens, paging, typed errors,
/// retries and the usage brake.
@Suite("Salesforce REST client", .timeLimit(.minutes(2)))
struct SalesforceClientTests {
    /// Runs `body` with an org served on loopback and a client of it (fast retries).
    func withOrg(
        apiLimit: Int = 10_000_000,
        configure: (inout SalesforceAPIConfiguration) -> Void = { _ in },
        _ body: (SalesforceOrg, SalesforceClient) async throws -> Void
    ) async throws {
        let org = SalesforceOrg(apiLimit: apiLimit)
        let server = SalesforceOrgServer(org: org)
        let url = try await server.start()
        var configuration = SalesforceAPIConfiguration(
            loginURL: url, clientID: org.clientID, clientSecret: org.clientSecret,
            maximumAttempts: 4, retryBaseDelay: .milliseconds(5)
        )
        configure(&configuration)
        var logger = Logger(label: "salesforce-client-test")
        logger.logLevel = .error
        let client = SalesforceClient(configuration: configuration, logger: logger)
        do {
            try await body(org, client)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func aQueryFollowsNextRecordsURLThroughEveryPage() async throws {
        try await withOrg(configure: { $0.queryBatchSize = 200 }) { org, client in
            let ids = org.populate("Account", count: 450)
            var page = try await client.query("SELECT Id, Name, BillingCity FROM Account ORDER BY Id")
            var seen: [String] = []
            var pages = 1
            seen += page.records.compactMap { $0["Id"]?.stringValue }
            while let next = page.nextRecordsURL {
                page = try await client.nextPage(next)
                seen += page.records.compactMap { $0["Id"]?.stringValue }
                pages += 1
            }
            #expect(pages == 3)
            #expect(page.totalSize == 450)
            #expect(seen == ids.sorted())
            #expect(page.records.first?["attributes"]?["type"] == "Account")
            #expect(page.records.first?["BillingCity"]?.stringValue != nil)
        }
    }

    @Test func queryAllSeesDeletedRecordsAndQueryDoesNot() async throws {
        try await withOrg { org, client in
            let ids = org.populate("Account", count: 3)
            org.delete(ids[1])
            let live = try await client.query("SELECT Id FROM Account")
            #expect(live.records.count == 2)
            let all = try await client.query("SELECT Id, IsDeleted FROM Account WHERE Id = '\(ids[1])'", includeDeleted: true)
            #expect(all.records.map { $0["IsDeleted"] } == [.bool(true)])
        }
    }

    @Test func anExpiredSessionIsRenewedOnceAndTheCallRepeated() async throws {
        try await withOrg { org, client in
            org.populate("Account", count: 1)
            _ = try await client.query("SELECT Id FROM Account")
            org.expireSessions()
            let page = try await client.query("SELECT Id FROM Account")
            #expect(page.records.count == 1)
            #expect(client.statistics.authentications == 2)
        }
    }

    @Test func limitErrorsServerErrorsAndMalformedJSONAreRetriedThenSucceed() async throws {
        try await withOrg { org, client in
            org.populate("Account", count: 2)
            org.fail(.limitExceeded, .unavailable, .malformedJSON)
            let page = try await client.query("SELECT Id FROM Account")
            #expect(page.records.count == 2)
            #expect(client.statistics.retries == 3)
        }
    }

    @Test func retriesStopAfterTheLastAttemptWithTheTypedError() async throws {
        try await withOrg { org, client in
            org.fail(.unavailable, .unavailable, .unavailable, .unavailable)
            await #expect(throws: SalesforceAPIError.api(
                status: 503, errors: [SalesforceErrorItem(errorCode: "SERVER_UNAVAILABLE", message: "Server temporarily unavailable")]
            )) {
                try await client.query("SELECT Id FROM Account")
            }
        }
    }

    @Test func otherClientErrorsFailAtOnceWithSalesforcesErrors() async throws {
        try await withOrg { org, client in
            org.populate("Account", count: 1)
            do {
                _ = try await client.query("SELECT Id, AccountNumber FROM Account")
                Issue.record("an invalid field was accepted")
            } catch let error as SalesforceAPIError {
                #expect(error.errorCode == "INVALID_FIELD")
                #expect(error.description.contains("AccountNumber"))
            }
            #expect(client.statistics.retries == 0)
            do {
                _ = try await client.query("SELECT Id FROM Account WHERE Nickname = 'x'")
                Issue.record("an unknown field in WHERE was accepted")
            } catch let error as SalesforceAPIError {
                #expect(error.errorCode == "INVALID_FIELD")
            }
        }
    }

    @Test func wrongCredentialsAreAnAuthenticationErrorThatNamesNoSecret() async throws {
        try await withOrg(configure: { $0.clientSecret = "not-the-secret" }) { _, client in
            do {
                _ = try await client.query("SELECT Id FROM Account")
                Issue.record("wrong credentials were accepted")
            } catch let error as SalesforceAPIError {
                guard case .authentication(400, let detail) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(detail.contains("invalid_client"))
                #expect(!error.description.contains("not-the-secret"))
            }
        }
        #expect(!SalesforceAPIConfiguration(loginURL: "https://x", clientID: "id", clientSecret: "hush").description.contains("hush"))
    }

    @Test func aSingleRecordReadGivesTheRecordOrNil() async throws {
        try await withOrg { org, client in
            let id = org.populate("Account", count: 1)[0]
            let record = try await client.record(object: "Account", id: id)
            #expect(record?["Id"]?.stringValue == id)
            org.delete(id)
            #expect(try await client.record(object: "Account", id: id) == nil)
        }
    }

    @Test func usageNearTheAllowanceSlowsCallsDown() async throws {
        try await withOrg(apiLimit: 100, configure: { $0.maximumThrottlePause = .milliseconds(20) }) { org, client in
            org.populate("Account", count: 1)
            org.setAPIUsage(90)
            _ = try await client.query("SELECT Id FROM Account")
            #expect(client.usage == APIUsage(used: 91, limit: 100))
            _ = try await client.query("SELECT Id FROM Account")
            #expect(client.statistics.throttledCalls == 1)
        }
        #expect(APIUsage(limitInfo: "api-usage=25/15000") == APIUsage(used: 25, limit: 15000))
        #expect(APIUsage(limitInfo: "per-app-api-usage=1/2(appName=x), api-usage=7/10")?.used == 7)
        #expect(APIUsage(limitInfo: "api-usage=x/10") == nil)
        #expect(APIUsage(used: 50, limit: 100).pause(slowDownAt: 0.8, maximum: .seconds(4)) == .zero)
        #expect(abs((APIUsage(used: 90, limit: 100).pause(slowDownAt: 0.8, maximum: .seconds(4)) - .seconds(2)) / .milliseconds(1)) < 1)
        #expect(APIUsage(used: 120, limit: 100).pause(slowDownAt: 0.8, maximum: .seconds(4)) == .seconds(4))
    }
}
