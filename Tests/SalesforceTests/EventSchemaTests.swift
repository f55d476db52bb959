import JSON
import Salesforce
import Testing

@Suite struct EventSchemaTests {
    // MARK: - Fixture

    /// An `AccountChangeEvent` Avro schema shaped as Salesforce serves it, its fields in the order
    /// of the bitmap sample's payload: the header record first, `BillingAddress` defining the
    /// `Address` record and `ShippingAddress` referring to it by name.
    static func accountSchema(shippingAddressType: JSONValue = ["null", "Address"]) -> JSONValue {
        let nullable = { (type: JSONValue) -> JSONValue in ["null", type] }
        let member = { (name: String, type: JSONValue) -> JSONValue in ["name": .string(name), "type": type, "default": nil] }
        let strings: JSONValue = ["type": "array", "items": "string"]
        let header: JSONValue = [
            "type": "record", "name": "ChangeEventHeader", "namespace": "com.sforce.eventbus",
            "fields": [
                ["name": "entityName", "type": "string"],
                ["name": "recordIds", "type": strings],
                ["name": "changeType", "type": [
                    "type": "enum", "name": "ChangeType", "namespace": "com.sforce.eventbus",
                    "symbols": ["CREATE", "UPDATE", "DELETE", "UNDELETE", "GAP_CREATE", "GAP_UPDATE",
                                "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW", "SNAPSHOT"],
                ]],
                ["name": "changeOrigin", "type": "string"],
                ["name": "transactionKey", "type": "string"],
                ["name": "sequenceNumber", "type": "int"],
                ["name": "commitTimestamp", "type": "long"],
                ["name": "commitNumber", "type": "long"],
                ["name": "commitUser", "type": "string"],
                ["name": "nulledFields", "type": strings],
                ["name": "diffFields", "type": strings],
                ["name": "changedFields", "type": strings],
            ],
        ]
        let address: JSONValue = [
            "type": "record", "name": "Address",
            "fields": .array(
                ["Street", "City", "State", "PostalCode", "Country"].map { member($0, nullable("string")) }
                    + ["Latitude", "Longitude"].map { member($0, nullable("double")) }
                    + [member("GeocodeAccuracy", nullable("string"))]
            ),
        ]
        let dateTime = nullable(["type": "long", "logicalType": "timestamp-millis"])
        let body: [(String, JSONValue, String)] = [
            ("Name", nullable("string"), "Data:Text"), ("Type", nullable("string"), "Data:Picklist"),
            ("ParentId", nullable("string"), "Data:EntityId"), ("BillingAddress", nullable(address), "Data:Address"),
            ("ShippingAddress", shippingAddressType, "Data:Address"), ("Phone", nullable("string"), "Data:Phone"),
            ("Fax", nullable("string"), "Data:Phone"), ("AccountNumber", nullable("string"), "Data:Text"),
            ("Website", nullable("string"), "Data:Url"), ("Sic", nullable("string"), "Data:Text"),
            ("Industry", nullable("string"), "Data:Picklist"), ("AnnualRevenue", nullable("double"), "Data:Currency"),
            ("NumberOfEmployees", nullable("int"), "Data:Int"), ("Ownership", nullable("string"), "Data:Picklist"),
            ("TickerSymbol", nullable("string"), "Data:Text"), ("Description", nullable("string"), "Data:TextArea"),
            ("Rating", nullable("string"), "Data:Picklist"), ("Site", nullable("string"), "Data:Text"),
            ("OwnerId", nullable("string"), "Data:EntityId"), ("CreatedDate", dateTime, "CreatedDate:DateTime"),
            ("CreatedById", nullable("string"), "CreatedBy:EntityId"), ("LastModifiedDate", dateTime, "Audit:DateTime"),
            ("LastModifiedById", nullable("string"), "Audit:EntityId"), ("Jigsaw", nullable("string"), "Data:Text"),
            ("JigsawCompanyId", nullable("string"), "Data:Text"), ("CleanStatus", nullable("string"), "Data:Picklist"),
            ("AccountSource", nullable("string"), "Data:Picklist"), ("DunsNumber", nullable("string"), "Data:Text"),
            ("Tradestyle", nullable("string"), "Data:Text"), ("NaicsCode", nullable("string"), "Data:Text"),
            ("NaicsDesc", nullable("string"), "Data:Text"), ("YearStarted", nullable("string"), "Data:Text"),
            ("SicDesc", nullable("string"), "Data:Text"), ("DandbCompanyId", nullable("string"), "Data:EntityId"),
            ("OperatingHoursId", nullable("string"), "Data:EntityId"), ("CustomerPriority__c", nullable("string"), "Data:Picklist"),
            ("SLA__c", nullable("string"), "Data:Picklist"), ("Active__c", nullable("string"), "Data:Picklist"),
            ("NumberofLocations__c", nullable("double"), "Data:Double"), ("UpsellOpportunity__c", nullable("string"), "Data:Picklist"),
            ("SLASerialNumber__c", nullable("string"), "Data:Text"), ("SLAExpirationDate__c", nullable("long"), "Data:Date"),
        ]
        let fields: [JSONValue] = [["name": "ChangeEventHeader", "type": header, "doc": "Data:ChangeEventHeader"]]
            + body.map { (name: String, type: JSONValue, doc: String) -> JSONValue in
                ["name": .string(name), "type": type, "doc": .string(doc), "default": nil]
            }
        return [
            "type": "record", "name": "AccountChangeEvent", "namespace": "com.sforce.eventbus",
            "fields": .array(fields), "uuid": "Jx8Hz9ElkIUaBf-heF1ShA",
        ]
    }

    static let addressFields = ["Street", "City", "State", "PostalCode", "Country", "Latitude", "Longitude", "GeocodeAccuracy"]

    /// A schema as text, parsed.
    private func parse(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

    // MARK: - The sample's bitmaps

    @Test func sampleKeyOrderPutsLastModifiedDateAtBit22() throws {
        let keys = try SampleFile.pubSubUpdateBitmap.object().keys
        #expect(keys.count == 43)
        #expect(keys[0] == "ChangeEventHeader")
        #expect(keys[4] == "BillingAddress")
        #expect(keys[22] == "LastModifiedDate")
        #expect(UInt64(0x400000) == 1 << 22)
    }

    @Test func avroSchemaDecodesTheSampleBitmaps() throws {
        let sample = try SampleFile.pubSubUpdateBitmap.object()
        let schema = try EventSchema(avroSchema: Self.accountSchema())
        #expect(schema.fieldOrder == sample.keys)
        #expect(schema.nestedFieldOrder == ["BillingAddress": Self.addressFields, "ShippingAddress": Self.addressFields])
        let changed = try #require(sample["ChangeEventHeader"]?["changedFields"]?.arrayValue).compactMap(\.stringValue)
        #expect(changed == ["0x400000", "4-0x01"])
        #expect(try schema.decode(changed) == ["LastModifiedDate", "BillingAddress.Street"])
    }

    @Test func avroSchemaReadFromTextGivesTheSameSchema() throws {
        let text = Self.accountSchema().jsonString
        #expect(try EventSchema(avroSchema: parse(text)) == EventSchema(avroSchema: Self.accountSchema()))
    }

    @Test func learningFromTheSampleDecodesTheSame() throws {
        let sample = try SampleFile.pubSubUpdateBitmap.object()
        let learned = try #require(EventSchema(learningFrom: sample))
        let read = try EventSchema(avroSchema: Self.accountSchema())
        #expect(learned.fieldOrder == read.fieldOrder)
        #expect(learned.nestedFieldOrder == ["BillingAddress": Self.addressFields])  // ShippingAddress is null
        #expect(try learned.decode(["0x400000", "4-0x01"]) == ["LastModifiedDate", "BillingAddress.Street"])
        #expect(throws: ChangeEventError.self) { try learned.decode(["5-0x01"]) }
        #expect(try read.decode(["5-0x01"]) == ["ShippingAddress.Street"])
    }

    @Test func learningNeedsTheHeaderFirst() throws {
        var payload = try SampleFile.pubSubUpdateBitmap.object()
        let header = try #require(payload["ChangeEventHeader"])
        payload["ChangeEventHeader"] = nil
        #expect(EventSchema(learningFrom: payload) == nil)
        payload["ChangeEventHeader"] = header  // appended last
        #expect(EventSchema(learningFrom: payload) == nil)
        #expect(EventSchema(learningFrom: JSONObject()) == nil)
    }

    // MARK: - Named types

    @Test(arguments: [
        ["null", "Address"], ["null", "com.sforce.eventbus.Address"], ["com.sforce.eventbus.Address", "null"],
        "Address", ["type": "Address"],
    ] as [JSONValue])
    func referencedAddressGivesShippingAddressItsNestedOrder(reference: JSONValue) throws {
        let schema = try EventSchema(avroSchema: Self.accountSchema(shippingAddressType: reference))
        #expect(schema.nestedFieldOrder["ShippingAddress"] == Self.addressFields)
        #expect(try schema.decode(["5-0x83"]) == ["ShippingAddress.Street", "ShippingAddress.City", "ShippingAddress.GeocodeAccuracy"])
    }

    @Test func namespacesQualifyNamesAndNestedTypesInheritThem() throws {
        let schema = try EventSchema(avroSchema: parse("""
            {"type": "record", "name": "Thing__ChangeEvent", "namespace": "com.sforce.eventbus", "fields": [
              {"name": "ChangeEventHeader", "type": {"type": "record", "name": "ChangeEventHeader", "fields": [
                {"name": "entityName", "type": "string"}]}},
              {"name": "Home__c", "type": ["null", {"type": "record", "name": "other.Place", "fields": [
                {"name": "Kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A"]}},
                {"name": "Where", "type": "Kind"}]}]},
              {"name": "Work__c", "type": ["null", "other.Place"]},
              {"name": "Kinds", "type": {"type": "array", "items": "other.Kind"}},
              {"name": "Again__c", "type": "Place"}
            ]}
            """))
        #expect(schema.fieldOrder == ["ChangeEventHeader", "Home__c", "Work__c", "Kinds", "Again__c"])
        #expect(schema.nestedFieldOrder == ["Home__c": ["Kind", "Where"], "Work__c": ["Kind", "Where"], "Again__c": ["Kind", "Where"]])
    }

    // MARK: - Stored form

    @Test func jsonRoundTrips() throws {
        let schema = try EventSchema(avroSchema: Self.accountSchema())
        let json = schema.json
        #expect(json["fields"]?[0] == "ChangeEventHeader")
        #expect(json["fields"]?[22] == "LastModifiedDate")
        #expect(json["nested"]?.objectValue?.keys == ["BillingAddress", "ShippingAddress"])
        #expect(json["nested"]?["BillingAddress"]?[0] == "Street")
        #expect(try EventSchema(json: json) == schema)
        #expect(try EventSchema(json: parse(json.jsonString)) == schema)
        let learned = try #require(EventSchema(learningFrom: SampleFile.pubSubUpdateBitmap.object()))
        #expect(try EventSchema(json: learned.json) == learned)
        let odd = EventSchema(fieldOrder: ["ChangeEventHeader", "A"], nestedFieldOrder: ["Z": ["z"], "A": ["a"], "B": []])
        #expect(odd.json["nested"]?.objectValue?.keys == ["A", "B", "Z"])
        #expect(try EventSchema(json: odd.json) == odd)
    }

    @Test(arguments: [
        (#"["ChangeEventHeader"]"#, "a stored event schema is an object"),
        (#"{"nested": {}}"#, "\"fields\" is missing, not an array of field names"),
        (#"{"fields": ["ChangeEventHeader", 7]}"#, "\"fields\" element 1 is a number, not a field name"),
        (#"{"fields": ["Name"]}"#, "the schema's first field is Name, not ChangeEventHeader"),
        (#"{"fields": []}"#, "the schema has no fields"),
        (#"{"fields": ["ChangeEventHeader", "Name", "Name"]}"#, "\"fields\" element 2: Name is listed twice"),
        (#"{"fields": ["ChangeEventHeader"], "nested": []}"#, "\"nested\" is an array, not an object"),
        (#"{"fields": ["ChangeEventHeader"], "nested": {"A": "Street"}}"#, "\"nested\".A is \"Street\", not an array"),
    ])
    func malformedStoredFormsThrow(text: String, message: String) throws {
        let error = #expect(throws: EventSchemaError.self) { try EventSchema(json: parse(text)) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    // MARK: - Malformed Avro schemas

    static let header = #"{"name": "ChangeEventHeader", "type": {"type": "record", "name": "ChangeEventHeader", "fields": []}}"#

    @Test(arguments: [
        ("[1, 2]", "the schema is an array, not an Avro record object"),
        (#"{"type": "enum", "name": "E", "symbols": []}"#, #"the schema's "type" is "enum", not "record""#),
        (#"{"name": "E", "fields": []}"#, #"the schema's "type" is missing, not "record""#),
        (#"{"type": "record", "name": "E"}"#, #"the schema: a record needs a "fields" array, found missing"#),
        (#"{"type": "record", "name": "E", "fields": {}}"#, #"a record needs a "fields" array, found an object"#),
        (#"{"type": "record", "name": "E", "fields": []}"#, "the schema has no fields"),
        (#"{"type": "record", "name": "E", "fields": [{"name": "Name", "type": "string"}, \#(header)]}"#,
         "the schema's first field is Name, not ChangeEventHeader"),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "Name", "type": "string"}, {"name": "Name", "type": "long"}]}"#,
         "the schema: field 2 is named Name, like field 1"),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": 5, "type": "string"}]}"#,
         "the schema: field 1's name is a number, not a string"),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"type": "string"}]}"#, "field 1's name is missing, not a string"),
        (#"{"type": "record", "name": "E", "fields": [\#(header), "Name"]}"#,
         #"field 1 is "Name", not an object with a name and a type"#),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "Name"}]}"#, #"field 1 (Name) has no "type""#),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "Ship", "type": ["null", "Address"]}]}"#,
         #"field 1 (Ship), union member 1: type "Address" is neither primitive nor a named type defined before"#),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "Bill", "type": ["null", {"type": "record", "name": "A", "fields": [{"name": null, "type": "string"}]}]}]}"#,
         "field 1 (Bill), union member 1: field 0's name is null, not a string"),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "Bill", "type": {"type": "record", "fields": []}}]}"#,
         #"field 1 (Bill): a named type needs a non-empty string "name", found missing"#),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "A", "type": {"type": "fixed", "name": "F", "size": 2}}, {"name": "B", "type": {"type": "enum", "name": "F", "symbols": []}}]}"#,
         "field 2 (B): the type F is defined twice"),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "N", "type": 3}]}"#,
         "field 1 (N): a type is a name, an object or a union array, found a number"),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "L", "type": {"type": "array"}}]}"#,
         #"field 1 (L): an Avro array needs "items""#),
        (#"{"type": "record", "name": "E", "fields": [\#(header), {"name": "L", "type": {"logicalType": "date"}}]}"#,
         #"field 1 (L): a type object needs a "type""#),
    ])
    func malformedSchemasThrowSayingWhatAndWhere(text: String, message: String) throws {
        let error = #expect(throws: EventSchemaError.self) { try EventSchema(avroSchema: parse(text)) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func deeplyNestedTypesThrowInsteadOfOverflowing() throws {
        var type: JSONValue = "string"
        for _ in 0..<1_000 { type = ["null", type] }
        let schema: JSONValue = [
            "type": "record", "name": "E",
            "fields": [["name": "ChangeEventHeader", "type": "string"], ["name": "Deep", "type": type]],
        ]
        let error = #expect(throws: EventSchemaError.self) { try EventSchema(avroSchema: schema) }
        #expect(error?.message.contains("types nest deeper than") == true)
    }

    @Test(arguments: [JSONValue.null, true, 1, "record", [], [:], ["type": "record", "fields": "x"]])
    func anyValueIsReadWithoutCrashing(value: JSONValue) {
        #expect(throws: EventSchemaError.self) { try EventSchema(avroSchema: value) }
        #expect(throws: EventSchemaError.self) { try EventSchema(json: value) }
    }

    // MARK: - Decoding limits

    @Test func bitsBeyondTheSchemaThrow() throws {
        let schema = try EventSchema(avroSchema: Self.accountSchema())
        #expect(schema.fieldOrder.count == 43)
        #expect(try schema.decode(["0x40000000000"]) == ["SLAExpirationDate__c"])  // bit 42, the last field
        let beyond = #expect(throws: ChangeEventError.self) { try schema.decode(["0x80000000000"]) }  // bit 43
        #expect(beyond?.message.contains("sets bit 43, but the schema has only 43 fields") == true)
        let nested = #expect(throws: ChangeEventError.self) { try schema.decode(["4-0x100"]) }
        #expect(nested?.message.contains("sets bit 8 of BillingAddress, which has only 8 nested fields") == true)
        let notCompound = #expect(throws: ChangeEventError.self) { try schema.decode(["6-0x01"]) }
        #expect(notCompound?.message.contains("Phone, whose nested field order is unknown") == true)
        #expect(throws: ChangeEventError.self) { try schema.decode(["43-0x01"]) }
    }

    @Test func memberwiseSchemaDecodes() throws {
        let schema = EventSchema(fieldOrder: ["ChangeEventHeader", "Name", "BillingAddress"], nestedFieldOrder: ["BillingAddress": ["Street", "City"]])
        #expect(try schema.decode(["0x02", "2-0x02"]) == ["Name", "BillingAddress.City"])
        #expect(try schema.decode([]) == [])
    }
}
