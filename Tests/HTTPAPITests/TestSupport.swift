import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Logging
import NIOCore
import Testing

/// The published Salesforce samples in `../shared/salesforce/samples`, beside the repository.
enum Samples {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/salesforce/samples")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: bytes(name))
    }

    static let cometDCreate = "cdc-create-account-compound.cometd.json"
    static let pubSubCreate = "cdc-create-account-compound-billingaddress.pubsub.json"
    static let pubSubUpdate = "cdc-update-account-compound-street-bitmap.pubsub.json"
    static let pubSubGap = "cdc-gap-create-account.pubsub.json"
    static let eventBridgeUpdate = "eventbridge-appflow-account-update.json"
}

/// A 15-character Account id, distinct for every `index` below 1,000,000; the server answers
/// with its 18-character form.
func accountID(_ index: Int) -> String {
    let digits = String(index % 1_000_000)
    return "001T10000" + String(repeating: "0", count: 6 - digits.count) + digits
}

/// A bare CDC payload built in a test.
func changeEvent(
    _ changeType: String,
    id: String,
    entity: String = "Account",
    commitTimestamp: Int64 = 1_700_000_000_000,
    sequenceNumber: Int64 = 1,
    transactionKey: String = "tx-1",
    changedFields: [String] = [],
    fields: JSONObject = [:]
) -> JSONValue {
    var object: JSONObject = [
        "ChangeEventHeader": [
            "entityName": .string(entity),
            "recordIds": [.string(id)],
            "changeType": .string(changeType),
            "changeOrigin": "",
            "transactionKey": .string(transactionKey),
            "sequenceNumber": .number(JSONNumber(sequenceNumber)),
            "commitTimestamp": .number(JSONNumber(commitTimestamp)),
            "commitNumber": 1,
            "commitUser": "005000000000000AAA",
            "changedFields": .array(changedFields.map(JSONValue.string)),
        ]
    ]
    for member in fields { object[member.key] = member.value }
    return .object(object)
}

func testApplication(
    storage: TributaryConfiguration.Storage = .inMemory,
    configure: (inout TributaryConfiguration) -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    var configuration = TributaryConfiguration(host: "127.0.0.1", port: 0, storage: storage)
    configure(&configuration)
    var logger = Logger(label: "tributary-test")
    logger.logLevel = .warning
    return try await buildApplication(configuration, logger: logger)
}

extension TestClientProtocol {
    /// Sends `body` as JSON and returns the status, headers and parsed body.
    @discardableResult
    func request(
        _ uri: String,
        method: HTTPRequest.Method = .get,
        json body: JSONValue? = nil,
        rawBody: [UInt8]? = nil
    ) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, body: JSONValue) {
        let bytes = rawBody ?? body?.jsonBytes()
        return try await execute(
            uri: uri,
            method: method,
            headers: bytes == nil ? [:] : [.contentType: "application/json"],
            body: bytes.map { ByteBuffer(bytes: $0) }
        ) { response in
            let parsed = response.body.readableBytes == 0
                ? JSONValue.null : try JSONValue(parsing: Array(response.body.readableBytesView))
            return (response.status, response.headers, parsed)
        }
    }
}
