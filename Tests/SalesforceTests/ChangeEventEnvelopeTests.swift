import JSON
import Salesforce
import Testing

@Suite struct ChangeEventEnvelopeTests {
    static let header: JSONValue = [
        "entityName": "Account",
        "recordIds": ["0015f00002JUXA8AAP"],
        "changeType": "UPDATE",
        "transactionKey": "00006bf0-edfd-6e54-a3f9-e8cefdb2c2b7",
        "sequenceNumber": 1,
        "commitTimestamp": 1714156703000,
        "commitUser": "0055f000005mc66AAA",
        "changedFields": ["Name", "LastModifiedDate"],
    ]
    static let payload: JSONValue = ["ChangeEventHeader": header, "Name": "Acme", "LastModifiedDate": "2024-04-26T18:38:23.000Z"]

    private func decodeError(_ value: JSONValue) -> ChangeEventError? {
        #expect(throws: ChangeEventError.self) { try ChangeEvent.decode(value) }
    }

    // MARK: - Transport facts

    @Test func cometDMessageKeepsChannelReplayIdAndSchema() throws {
        let event = try ChangeEvent.decode([
            "channel": "/data/AccountChangeEvent",
            "data": ["schema": "Jx8Hz9ElkIUaBf-heF1ShA", "payload": Self.payload, "event": ["replayId": 1398411]],
        ])
        #expect(event.transport == .cometD)
        #expect(event.channel == "/data/AccountChangeEvent")
        #expect(event.replayId == "1398411")
        #expect(event.schemaId == "Jx8Hz9ElkIUaBf-heF1ShA")
        #expect(event.fields.keys == ["Name", "LastModifiedDate"])
    }

    @Test func replayIdIsKeptAsItsExactText() throws {
        let big = try #require(JSONNumber(text: "123456789012345678901234567890"))
        let fromNumber = try ChangeEvent.decode(["payload": Self.payload, "event": ["replayId": .number(big)]])
        #expect(fromNumber.replayId == "123456789012345678901234567890")
        let fromString = try ChangeEvent.decode(["payload": Self.payload, "event": ["replayId": "AAAAAAAAbcQ="]])
        #expect(fromString.replayId == "AAAAAAAAbcQ=")
    }

    @Test func eventRelayKeepsSchemaIdReplayIdAndEventBridgeFacts() throws {
        let event = try ChangeEvent.decode([
            "version": "0",
            "id": "eb-1",
            "detail-type": "AccountChangeEvent",
            "source": "aws.partner/salesforce.com/00D000000000001/0YL000000000001",
            "detail": ["payload": Self.payload, "schemaId": "schema-7", "replayId": "replay-9"],
        ])
        #expect(event.transport == .eventBridgeRelay)
        #expect(event.schemaId == "schema-7")
        #expect(event.replayId == "replay-9")
        #expect(event.eventBridgeID == "eb-1")
        #expect(event.eventBridgeSource == "aws.partner/salesforce.com/00D000000000001/0YL000000000001")
        #expect(event.channel == nil)
    }

    @Test func pubSubSchemaIdIsReadBesidePayload() throws {
        let event = try ChangeEvent.decode(["schemaId": "pubsub-schema", "payload": Self.payload])
        #expect(event.transport == .cometDData)
        #expect(event.schemaId == "pubsub-schema")
        #expect(event.replayId == nil)
    }

    @Test func bodyMemberNamedLikeAnEnvelopeKeyStaysAField() throws {
        var payload = try #require(Self.payload.objectValue)
        payload["data"] = "a field called data"
        payload["detail"] = "and one called detail"
        let event = try ChangeEvent.decode(.object(payload))
        #expect(event.transport == .bare)
        #expect(event.fields.keys == ["Name", "LastModifiedDate", "data", "detail"])
    }

    // MARK: - Errors

    @Test(arguments: [JSONValue.null, "text", 12, [ChangeEventEnvelopeTests.payload], true])
    func nonObjectIsAnError(value: JSONValue) {
        let error = decodeError(value)
        #expect(error?.field == nil)
        #expect(error?.message.contains("expected a change event as a JSON object") == true)
    }

    @Test func objectOfNoKnownShapeIsAnErrorListingItsKeys() {
        let error = decodeError(["records": [], "done": true])
        #expect(error?.field == nil)
        #expect(error?.message.contains("\"records\", \"done\"") == true)
    }

    @Test(arguments: [
        (["payload": "not an object"], "payload"),
        (["payload": ["Name": "Acme"]], "payload.ChangeEventHeader"),
        (["channel": "/data/ChangeEvents", "data": "x"], "data"),
        (["channel": "/data/ChangeEvents", "data": ["schema": "s"]], "data.payload"),
        (["channel": "/data/ChangeEvents", "data": ["payload": [1, 2]]], "data.payload"),
        (["channel": 7, "data": ["payload": ChangeEventEnvelopeTests.payload]], "channel"),
        (["data": ["schema": 7, "payload": ChangeEventEnvelopeTests.payload]], "data.schema"),
        (["data": ["event": "x", "payload": ChangeEventEnvelopeTests.payload]], "data.event"),
        (["data": ["event": ["replayId": true], "payload": ChangeEventEnvelopeTests.payload]], "data.event.replayId"),
        (["source": "s", "detail": "x"], "detail"),
        (["source": "s", "detail": ["Name": "Acme"]], "detail"),
        (["source": "s", "detail": ["payload": .null]], "detail.payload"),
        (["source": "s", "detail": ["payload": ["Name": "Acme"]]], "detail.payload.ChangeEventHeader"),
        (["source": "s", "detail": ["schemaId": 3, "payload": ChangeEventEnvelopeTests.payload]], "detail.schemaId"),
        (["source": 1, "detail": ["payload": ChangeEventEnvelopeTests.payload]], "source"),
        (["ChangeEventHeader": "header"], "ChangeEventHeader"),
        (["ChangeEventHeader": .null, "Name": "Acme"], "ChangeEventHeader"),
    ] as [(JSONValue, String)])
    func malformedEnvelopeIsAnErrorNamingThePath(value: JSONValue, field: String) {
        #expect(decodeError(value)?.field == field)
    }

    @Test(arguments: Envelope.allCases)
    func headerErrorInAnyEnvelopeNamesTheHeaderField(envelope: Envelope) throws {
        var header = try #require(Self.header.objectValue)
        header["sequenceNumber"] = "1"
        var payload = try #require(Self.payload.objectValue)
        payload["ChangeEventHeader"] = .object(header)
        let error = decodeError(envelope.wrap(payload))
        #expect(error?.field == "ChangeEventHeader.sequenceNumber")
        #expect(error?.message == "expected an integer (no fraction or exponent, within 64 bits), found string \"1\"")
    }
}
