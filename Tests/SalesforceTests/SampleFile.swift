import Foundation
import JSON
import Testing

/// The published Salesforce payloads in `shared/salesforce/samples`, beside the repository.
enum SampleFile: String, CaseIterable, CustomTestStringConvertible {
    case cometDCreate = "cdc-create-account-compound.cometd.json"
    case pubSubCreate = "cdc-create-account-compound-billingaddress.pubsub.json"
    case pubSubUpdateBitmap = "cdc-update-account-compound-street-bitmap.pubsub.json"
    case pubSubGapCreate = "cdc-gap-create-account.pubsub.json"
    case eventBridgeAppFlowUpdate = "eventbridge-appflow-account-update.json"
    case restQueryPage = "rest-query-contacts-page-done.json"
    case restError = "rest-error-invalid-field.json"
    case oauthToken = "oauth-client-credentials-token-response.json"

    /// The samples that are change events.
    static let changeEvents: [SampleFile] = [
        .cometDCreate, .pubSubCreate, .pubSubUpdateBitmap, .pubSubGapCreate, .eventBridgeAppFlowUpdate,
    ]

    /// The samples that are not change events.
    static let others: [SampleFile] = [.restQueryPage, .restError, .oauthToken]

    /// `<repo root>/../shared/salesforce/samples`, the repo root being three levels above this file.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/SalesforceTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the repository root
        .deletingLastPathComponent()  // the folder holding it and shared/
        .appendingPathComponent("shared/salesforce/samples")

    var testDescription: String { rawValue }

    /// The sample parsed.
    func json() throws -> JSONValue {
        let url = Self.directory.appendingPathComponent(rawValue)
        return try JSONValue(parsing: Data(contentsOf: url))
    }

    /// The sample parsed, as an object.
    func object() throws -> JSONObject {
        try #require(try json().objectValue)
    }
}
