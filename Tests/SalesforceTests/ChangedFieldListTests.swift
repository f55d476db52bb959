import JSON
import Salesforce
import Testing

@Suite struct ChangedFieldListTests {
    /// The Account schema order of the bitmap sample: its payload keys, header first.
    private func sampleFieldOrder() throws -> (order: [String], payload: JSONObject) {
        let payload = try SampleFile.pubSubUpdateBitmap.object()
        return (payload.keys, payload)
    }

    private func nestedOrder(in payload: JSONObject) -> (String) -> [String]? {
        { payload[$0]?.objectValue?.keys }
    }

    // MARK: - Telling the spellings apart

    @Test func listsAreClassifiedByTheirEntries() {
        #expect(ChangedFieldList.encoding(of: []) == .empty)
        #expect(ChangedFieldList.encoding(of: ["LastModifiedDate", "BillingAddress.Street"]) == .fieldNames)
        #expect(ChangedFieldList.encoding(of: ["0x400800"]) == .bitmaps)
        #expect(ChangedFieldList.encoding(of: ["0x400000", "4-0x01", "12-0xFF"]) == .bitmaps)
        #expect(ChangedFieldList.encoding(of: ["0x400000", "Name"]) == .mixed)
    }

    @Test(arguments: ["0x0", "0x400800", "0xABCdef", "4-0x01", "123-0x1"])
    func bitmapEntriesAreRecognised(entry: String) {
        #expect(ChangedFieldList.isBitmapEntry(entry))
    }

    @Test(arguments: ["Name", "x400800", "0x", "0xG1", "-0x01", "4-", "4-01", "a-0x01", "0X01", "4--0x1", " 0x1"])
    func otherStringsAreNotBitmapEntries(entry: String) {
        #expect(!ChangedFieldList.isBitmapEntry(entry))
    }

    // MARK: - Decoding

    @Test func sampleUpdateBitmapsDecodeToLastModifiedDateAndBillingStreet() throws {
        let (order, payload) = try sampleFieldOrder()
        let changed = try SampleFile.pubSubUpdateBitmap.payload()["ChangeEventHeader"]?["changedFields"]
        #expect(changed == ["0x400000", "4-0x01"])
        // 0x400000 is bit 22 alone. In the sample's order (0 ChangeEventHeader, 1 Name, 2 Type,
        // 3 ParentId, 4 BillingAddress, ... 21 CreatedById, 22 LastModifiedDate) bit 22 is
        // LastModifiedDate — the one top-level field with a value in that payload. "4-0x01" is
        // bit 0 of field 4's nested fields: BillingAddress.Street, the component that changed.
        #expect(order[22] == "LastModifiedDate")
        let names = try ChangedFieldList.decodeBitmaps(
            ["0x400000", "4-0x01"],
            fieldOrder: order,
            nestedFieldOrder: nestedOrder(in: payload)
        )
        #expect(names == ["LastModifiedDate", "BillingAddress.Street"])
    }

    @Test func schemaOrderedFieldsGiveTheSameDecoding() throws {
        let event = try ChangeEvent.decode(SampleFile.pubSubUpdateBitmap.json())
        let names = try ChangedFieldList.decodeBitmaps(event.header.changedFields, schemaOrderedFields: event.fields)
        #expect(names == ["LastModifiedDate", "BillingAddress.Street"])
    }

    @Test func twoBitsInOneEntryDecodeInBitOrder() throws {
        let (order, payload) = try sampleFieldOrder()
        // 0x400800 = bits 11 and 22: Industry (field 11) and LastModifiedDate (field 22).
        #expect(order[11] == "Industry")
        let names = try ChangedFieldList.decodeBitmaps(["0x400800"], fieldOrder: order, nestedFieldOrder: nestedOrder(in: payload))
        #expect(names == ["Industry", "LastModifiedDate"])
    }

    @Test func nestedBitmapSelectsSeveralComponents() throws {
        let (order, payload) = try sampleFieldOrder()
        // 0x13 = bits 0, 1 and 4 of BillingAddress: Street, City, Country.
        let names = try ChangedFieldList.decodeBitmaps(["4-0x13"], fieldOrder: order, nestedFieldOrder: nestedOrder(in: payload))
        #expect(names == ["BillingAddress.Street", "BillingAddress.City", "BillingAddress.Country"])
    }

    @Test func bitmapsWiderThan64BitsDecode() throws {
        let order = ["ChangeEventHeader"] + (1..<100).map { "Field\($0)__c" }
        // Bit 70 (hex digit 17 from the right, value 4) and bit 1.
        let names = try ChangedFieldList.decodeBitmaps(
            ["0x4" + String(repeating: "0", count: 16) + "2"],
            fieldOrder: order,
            nestedFieldOrder: { _ in nil }
        )
        #expect(names == ["Field1__c", "Field70__c"])
    }

    @Test func repeatedNamesAppearOnce() throws {
        let (order, payload) = try sampleFieldOrder()
        let names = try ChangedFieldList.decodeBitmaps(
            ["0x400000", "0x00400000", "4-0x01", "4-0x1"],
            fieldOrder: order,
            nestedFieldOrder: nestedOrder(in: payload)
        )
        #expect(names == ["LastModifiedDate", "BillingAddress.Street"])
    }

    @Test func emptyListAndZeroBitmapDecodeToNothing() throws {
        let (order, payload) = try sampleFieldOrder()
        #expect(try ChangedFieldList.decodeBitmaps([], fieldOrder: order, nestedFieldOrder: nestedOrder(in: payload)).isEmpty)
        #expect(try ChangedFieldList.decodeBitmaps(["0x0"], fieldOrder: order, nestedFieldOrder: nestedOrder(in: payload)).isEmpty)
    }

    // MARK: - Errors

    @Test(arguments: [
        ("0x80000000000", "bit 43"),  // the sample has 43 fields, 0–42
        ("0x1", "bit 0"),  // the header's bit
        ("Name", "expected a bitmap entry"),
        ("0", "expected a bitmap entry"),
        ("43-0x01", "parent field 43"),
        ("0-0x01", "parent field 0"),
        ("5-0x01", "ShippingAddress"),  // null in the sample, so its nested order is unknown
        ("1-0x01", "Name"),  // not a compound field
        ("4-0x100", "bit 8 of BillingAddress"),  // BillingAddress has 8 components, 0–7
    ])
    func invalidBitmapIsAnErrorSayingWhy(entry: String, messagePart: String) throws {
        let (order, payload) = try sampleFieldOrder()
        let error = #expect(throws: ChangeEventError.self) {
            try ChangedFieldList.decodeBitmaps([entry], fieldOrder: order, nestedFieldOrder: nestedOrder(in: payload))
        }
        #expect(error?.message.contains(messagePart) == true, "\(String(describing: error))")
    }
}
