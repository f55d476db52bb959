import JSON
import Salesforce
import Testing

@Suite struct ChangeEventHeaderTests {
    /// A complete, valid header.
    static let valid: JSONObject = [
        "entityName": "Account",
        "recordIds": ["0015f00002JUXA8AAP"],
        "changeType": "UPDATE",
        "changeOrigin": "com/salesforce/api/rest/60.0;client=tributary",
        "transactionKey": "00006bf0-edfd-6e54-a3f9-e8cefdb2c2b7",
        "sequenceNumber": 2,
        "commitTimestamp": 1714156703000,
        "commitNumber": 1100671026205,
        "commitUser": "0055f000005mc66AAA",
        "changedFields": ["LastModifiedDate", "BillingAddress.Street"],
        "nulledFields": ["Phone"],
        "diffFields": ["Description"],
    ]

    static let requiredKeys = [
        "entityName", "recordIds", "changeType", "transactionKey", "sequenceNumber", "commitTimestamp", "commitUser",
    ]

    private func decodeError(_ json: JSONObject) -> ChangeEventError? {
        #expect(throws: ChangeEventError.self) { try ChangeEventHeader(json: json) }
    }

    // MARK: - Decoding

    @Test func validHeaderDecodesEveryField() throws {
        let header = try ChangeEventHeader(json: Self.valid)
        #expect(header == ChangeEventHeader(
            entityName: "Account",
            recordIds: ["0015f00002JUXA8AAP"],
            changeType: .update,
            changeOrigin: "com/salesforce/api/rest/60.0;client=tributary",
            transactionKey: "00006bf0-edfd-6e54-a3f9-e8cefdb2c2b7",
            sequenceNumber: 2,
            commitTimestamp: 1714156703000,
            commitNumber: 1100671026205,
            commitUser: "0055f000005mc66AAA",
            changedFields: ["LastModifiedDate", "BillingAddress.Street"],
            nulledFields: ["Phone"],
            diffFields: ["Description"]
        ))
    }

    @Test func optionalFieldsDefaultWhenAbsent() throws {
        var json = Self.valid
        for key in ["changeOrigin", "commitNumber", "changedFields", "nulledFields", "diffFields"] { json[key] = nil }
        let header = try ChangeEventHeader(json: json)
        #expect(header.changeOrigin == "")
        #expect(header.commitNumber == nil)
        #expect(header.changedFields.isEmpty && header.nulledFields.isEmpty && header.diffFields.isEmpty)
    }

    @Test func optionalFieldsDefaultWhenNull() throws {
        var json = Self.valid
        for key in ["changeOrigin", "commitNumber", "changedFields", "nulledFields", "diffFields"] { json[key] = .null }
        let header = try ChangeEventHeader(json: json)
        #expect(header.changeOrigin == "")
        #expect(header.commitNumber == nil)
        #expect(header.changedFields.isEmpty && header.nulledFields.isEmpty && header.diffFields.isEmpty)
    }

    @Test func commitNumberAbove2To53IsExact() throws {
        var json = Self.valid
        // 2^53 + 1 has no Double representation: a decoder going through Double would give 2^53.
        json["commitNumber"] = .number(try #require(JSONNumber(text: "9007199254740993")))
        #expect(try ChangeEventHeader(json: json).commitNumber == 9_007_199_254_740_993)
        json["commitNumber"] = .number(try #require(JSONNumber(text: "9223372036854775807")))
        #expect(try ChangeEventHeader(json: json).commitNumber == Int64.max)
    }

    @Test func unknownHeaderKeysAreIgnored() throws {
        var json = Self.valid
        json["somethingNew"] = ["nested": true]
        json["SNAPSHOT"] = 1
        #expect(try ChangeEventHeader(json: json) == ChangeEventHeader(json: Self.valid))
    }

    @Test(arguments: ChangeType.allCases)
    func everyChangeTypeDecodes(changeType: ChangeType) throws {
        var json = Self.valid
        json["changeType"] = .string(changeType.rawValue)
        #expect(try ChangeEventHeader(json: json).changeType == changeType)
    }

    // MARK: - Errors name the field

    @Test(arguments: ChangeEventHeaderTests.requiredKeys)
    func missingRequiredFieldIsAnErrorNamingIt(key: String) {
        var json = Self.valid
        json[key] = nil
        let error = decodeError(json)
        #expect(error?.field == "ChangeEventHeader.\(key)")
        #expect(error?.message.contains("missing") == true)
    }

    @Test(arguments: ChangeEventHeaderTests.requiredKeys)
    func nullRequiredFieldIsAnErrorNamingIt(key: String) {
        var json = Self.valid
        json[key] = .null
        let error = decodeError(json)
        #expect(error?.field == "ChangeEventHeader.\(key)")
        #expect(error?.message.contains("found null") == true)
    }

    @Test(arguments: [
        ("entityName", JSONValue.number(JSONNumber(1)), "found number 1"),
        ("entityName", JSONValue.array(["Account"]), "found an array"),
        ("recordIds", JSONValue.string("0015f00002JUXA8AAP"), "expected an array of strings, found string"),
        ("changeType", JSONValue.array(["UPDATE"]), "expected a string"),
        ("changeOrigin", JSONValue.bool(false), "expected a string, found boolean false"),
        ("transactionKey", JSONValue.number(JSONNumber(7)), "expected a string"),
        ("sequenceNumber", JSONValue.string("1"), "expected an integer"),
        ("sequenceNumber", JSONValue.number(JSONNumber(1.5)), "found number 1.5"),
        ("commitTimestamp", JSONValue.string("1714156703000"), "found string \"1714156703000\""),
        ("commitTimestamp", JSONValue.number(JSONNumber(1.714156703e12)), "expected an integer"),
        ("commitNumber", JSONValue.string("1100671026205"), "expected an integer"),
        ("commitNumber", JSONValue.number(JSONNumber(1.100671026205e12)), "expected an integer"),
        ("commitUser", JSONValue.object(["Id": "0055f000005mc66AAA"]), "found an object"),
        ("changedFields", JSONValue.string("LastModifiedDate"), "expected an array of strings"),
        ("nulledFields", JSONValue.number(JSONNumber(0)), "expected an array of strings"),
        ("diffFields", JSONValue.object([:]), "expected an array of strings"),
    ])
    func illTypedFieldIsAnErrorNamingItAndWhatWasFound(key: String, value: JSONValue, messagePart: String) {
        var json = Self.valid
        json[key] = value
        let error = decodeError(json)
        #expect(error?.field == "ChangeEventHeader.\(key)")
        #expect(error?.message.contains(messagePart) == true, "\(String(describing: error))")
    }

    @Test func commitNumberBeyondInt64IsAnError() throws {
        var json = Self.valid
        json["commitNumber"] = .number(try #require(JSONNumber(text: "9223372036854775808")))
        #expect(decodeError(json)?.field == "ChangeEventHeader.commitNumber")
    }

    @Test(arguments: ["changedFields", "recordIds"])
    func nonStringListElementIsAnErrorNamingItsIndex(key: String) {
        var json = Self.valid
        json[key] = ["0015f00002JUXA8AAP", 42]
        let error = decodeError(json)
        #expect(error?.field == "ChangeEventHeader.\(key)[1]")
        #expect(error?.message == "expected a string, found number 42")
    }

    @Test(arguments: ["SNAPSHOT", "update", "MERGE"])
    func unknownChangeTypeIsAnErrorNamingTheValue(raw: String) {
        var json = Self.valid
        json["changeType"] = .string(raw)
        let error = decodeError(json)
        #expect(error?.field == "ChangeEventHeader.changeType")
        #expect(error?.message.contains("\"\(raw)\"") == true)
        #expect(error?.message.contains("GAP_OVERFLOW") == true)
    }

    @Test func emptyEntityNameIsAnError() {
        var json = Self.valid
        json["entityName"] = ""
        #expect(decodeError(json)?.field == "ChangeEventHeader.entityName")
    }

    @Test func errorDescriptionJoinsFieldAndMessage() {
        let error = ChangeEventError(field: "ChangeEventHeader.sequenceNumber", message: "expected an integer")
        #expect(error.description == "ChangeEventHeader.sequenceNumber: expected an integer")
        #expect(ChangeEventError(field: nil, message: "not an object").description == "not an object")
    }
}
