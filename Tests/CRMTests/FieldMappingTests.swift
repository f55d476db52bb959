@testable import CRM
import EventSourcing
import JSON
import Testing

@Suite("Field mappings")
struct FieldMappingTests {
    private func state(_ fields: JSONObject) -> RecordState {
        var given = Given()
        given.change(.create, at: 1, fields: fields)
        return given.state
    }

    // MARK: - Sources and fallbacks

    @Test func firstNonNullSourceWinsSoCompoundAndFlatShapesBothMap() throws {
        let mapping = FieldMapping("billingCity", from: ["BillingAddress.City", "BillingCity"])
        #expect(try mapping.value(in: state(["BillingAddress": ["City": "Paris"]])).get() == "Paris")
        #expect(try mapping.value(in: state(["BillingCity": "Lyon"])).get() == "Lyon")
        #expect(try mapping.value(in: state(["BillingAddress": ["City": .null], "BillingCity": "Nice"])).get() == "Nice")
    }

    @Test func defaultAppliesWhenEverySourceIsNull() throws {
        let mapping = FieldMapping("tier", from: ["Tier__c"], defaultValue: "standard")
        #expect(try mapping.value(in: state(["Tier__c": .null])).get() == "standard")
        #expect(try mapping.value(in: state([:])).get() == "standard")
        #expect(try FieldMapping("x", from: ["X"]).value(in: state([:])).get() == .null)
    }

    // MARK: - Transforms

    @Test func transformsApplyInOrder() throws {
        let trimmed = FieldMapping("code", from: ["Code"], transforms: [.trim, .uppercase])
        #expect(try trimmed.value(in: state(["Code": "  ab-1 "])).get() == "AB-1")
        let blank = FieldMapping("code", from: ["Code"], transforms: [.trim], defaultValue: "none")
        #expect(try blank.value(in: state(["Code": "   "])).get() == "none")
        let lower = FieldMapping("email", from: ["Email"], transforms: [.lowercase])
        #expect(try lower.value(in: state(["Email": "A@B.COM"])).get() == "a@b.com")
    }

    @Test func concatenationJoinsEveryNonNullSource() throws {
        let mapping = FieldMapping("fullName", from: ["Name.FirstName", "Name.LastName"], transforms: [.concatenate(separator: " ")])
        #expect(try mapping.value(in: state(["Name": ["FirstName": "Ada", "LastName": "Lovelace"]])).get() == "Ada Lovelace")
        #expect(try mapping.value(in: state(["Name": ["LastName": "Lovelace"]])).get() == "Lovelace")
    }

    // MARK: - Types

    @Test func typesConvertExactly() {
        #expect(FieldType.string.convert(42) == .success("42"))
        #expect(FieldType.integer.convert("17") == .success(17))
        #expect(FieldType.decimal.convert(.number(JSONNumber(text: "12345678901234567.89")!)) == .success(.number(JSONNumber(text: "12345678901234567.89")!)))
        #expect(FieldType.decimal.convert("0.10") == .success(.number(JSONNumber(text: "0.10")!)))
        #expect(FieldType.boolean.convert("true") == .success(true))
        #expect(FieldType.datetime.convert("2022-06-10T22:42:34.000Z") == .success("2022-06-10T22:42:34.000Z"))
        #expect(FieldType.datetime.convert(1_714_156_685_000) == .success("2024-04-26T18:38:05.000Z"))
        #expect(FieldType.date.convert("2024-02-29") == .success("2024-02-29"))
        #expect(FieldType.picklist(values: ["Closed Won": "won"], strict: false).convert("Closed Won") == .success("won"))
        #expect(FieldType.picklist(values: ["Closed Won": "won"], strict: false).convert("Other") == .success("Other"))
    }

    @Test func badValuesFailNamingTheValue() {
        let badDate = FieldType.date.convert("2023-02-30")
        guard case .failure(let error) = badDate else {
            Issue.record("2023-02-30 converted")
            return
        }
        #expect(error.description.contains("2023-02-30"))
        #expect(FieldType.integer.convert(1.5).isFailure)
        #expect(FieldType.datetime.convert("yesterday").isFailure)
        #expect(FieldType.boolean.convert("yes").isFailure)
        #expect(FieldType.picklist(values: ["A": "a"], strict: true).convert("B").isFailure)
        // Numbers from the wire beyond any real date fail rather than overflow.
        #expect(FieldType.date.convert(200_000_000_000).isFailure)
        #expect(FieldType.date.convert(.number(JSONNumber(Int64.max))).isFailure)
        #expect(FieldType.datetime.convert(.number(JSONNumber(Int64.min))).isFailure)
    }

    @Test func numbersConvertToDatesStringsAndIntegers() {
        // Pub/Sub sends dates as days since the epoch.
        #expect(FieldType.date.convert(19_782) == .success("2024-02-29"))
        #expect(FieldType.date.convert(-719_162) == .success("0001-01-01"))
        #expect(FieldType.string.convert(true) == .success("true"))
        #expect(FieldType.integer.convert(42) == .success(42))
        #expect(FieldType.boolean.convert(false) == .success(false))
    }

    @Test func aValueThatDoesNotConvertNamesTheFieldAndTheValue() {
        let mapping = FieldMapping("closeDate", from: ["CloseDate"], type: .date)
        guard case .failure(let error) = mapping.value(in: state(["CloseDate": "31/02/2024"])) else {
            Issue.record("31/02/2024 converted")
            return
        }
        #expect(error.description == #"closeDate: "31/02/2024" is not a valid date"#)
        #expect(FieldType.reference(.clients).convert("001T1000001nI4jIAE") == .success("001T1000001nI4jIAE"))
        #expect(FieldType.reference(.clients).convert(12).isFailure)
    }

    // MARK: - Views

    @Test func defaultClientMappingProducesTheDomainFields() {
        let fields = EntityMapping.defaultClient.domainFields(
            of: state(["Name": "Acme", "Industry": "Energy", "BillingAddress": ["City": "Paris"], "OwnerId": "005x"])
        )
        #expect(Array(fields.keys.prefix(7)) == ["name", "industry", "website", "phone", "billingCity", "ownerId", "type"])
        #expect(fields["name"] == "Acme")
        #expect(fields["billingCity"] == "Paris")
        #expect(fields["website"] == .null)
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
