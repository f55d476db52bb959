import JSON
import Salesforce
import Testing

@Suite struct ChangeEventSampleTests {
    // MARK: - One test per published sample

    @Test func cometDCreateSampleDecodes() throws {
        let event = try ChangeEvent.decode(SampleFile.cometDCreate.json())
        #expect(event.transport == .cometDData)
        #expect(event.header.entityName == "Account")
        #expect(event.header.recordIds == ["001T1000001nI4jIAE"])
        #expect(try event.header.recordSelection() == .records(["001T1000001nI4jIAE"]))
        #expect(event.header.changeType == .create)
        #expect(event.header.changeOrigin == "com/salesforce/api/soap/55.0;client=SfdcInternalAPI/")
        #expect(event.header.transactionKey == "000001d3-3d55-688b-98ea-39d0a21240f4")
        #expect(event.header.sequenceNumber == 1)
        #expect(event.header.commitTimestamp == 1_654_900_954_000)
        #expect(event.header.commitNumber == 72_227_828_942)
        #expect(event.header.commitUser == "005T1000000HjlbIAC")
        #expect(event.header.changedFields.isEmpty && event.header.nulledFields.isEmpty && event.header.diffFields.isEmpty)
        #expect(event.replayId == "1398411")
        #expect(event.schemaId == "Jx8Hz9ElkIUaBf-heF1ShA")
        #expect(event.channel == nil && event.eventBridgeID == nil && event.eventBridgeSource == nil)
        #expect(event.fields.keys == [
            "BillingAddress", "LastModifiedDate", "OwnerId", "CreatedById", "CreatedDate", "Website",
            "LastModifiedById", "Name",
        ])
        #expect(event.fields["BillingAddress"]?["Street"] == "415 Mission Street")
        #expect(event.fields["LastModifiedDate"] == "2022-06-10T22:42:34.000Z")
    }

    @Test func pubSubCreateSampleDecodes() throws {
        let event = try ChangeEvent.decode(SampleFile.pubSubCreate.json())
        #expect(event.transport == .bare)
        #expect(event.header.entityName == "Account")
        #expect(try event.header.recordSelection() == .records(["0015f00002JUXA8AAP"]))
        #expect(event.header.changeType == .create)
        #expect(event.header.commitNumber == 1_100_670_838_951)
        #expect(event.header.commitTimestamp == 1_714_156_685_000)
        #expect(event.header.changedFields.isEmpty && event.header.nulledFields.isEmpty && event.header.diffFields.isEmpty)
        #expect(event.replayId == nil && event.schemaId == nil)
        #expect(event.fields.count == 42)
        #expect(Array(event.fields.keys.prefix(5)) == ["Name", "Type", "ParentId", "BillingAddress", "ShippingAddress"])
        #expect(event.fields.keys.last == "SLAExpirationDate__c")
        #expect(event.fields["BillingAddress"]?["Latitude"] == .null)
        #expect(event.fields["CreatedDate"]?.int64Value == 1_714_156_685_000)
    }

    @Test func pubSubUpdateBitmapSampleDecodes() throws {
        let event = try ChangeEvent.decode(SampleFile.pubSubUpdateBitmap.json())
        #expect(event.transport == .bare)
        #expect(event.header.changeType == .update)
        #expect(try event.header.recordSelection() == .records(["0015f00002JUXA8AAP"]))
        #expect(event.header.commitNumber == 1_100_671_026_205)
        #expect(event.header.transactionKey == "00006bf0-edfd-6e54-a3f9-e8cefdb2c2b7")
        #expect(event.header.changedFields == ["0x400000", "4-0x01"])
        #expect(ChangedFieldList.encoding(of: event.header.changedFields) == .bitmaps)
        #expect(event.fields.count == 42)
        #expect(event.fields.keys[21] == "LastModifiedDate")
        #expect(event.fields["Name"] == .null)
        #expect(event.fields["BillingAddress"]?["Street"] == "415 Mission Street Suite B")
    }

    @Test func pubSubGapCreateSampleDecodes() throws {
        let event = try ChangeEvent.decode(SampleFile.pubSubGapCreate.json())
        #expect(event.transport == .bare)
        #expect(event.header.changeType == .gapCreate)
        #expect(event.header.changeType.isGap)
        #expect(try event.header.recordSelection() == .records(["001ZM000001n4n5YAA"]))
        #expect(event.header.changeOrigin == "")
        #expect(event.header.sequenceNumber == 19)
        #expect(event.header.commitNumber == 72_784_468_115)
        #expect(event.fields.count == 28)
        #expect(event.fields.allSatisfy { $0.value.isNull })
        #expect(event.fields.keys.last == "External_Account_ID__c")
    }

    @Test func eventBridgeAppFlowSampleDecodes() throws {
        let event = try ChangeEvent.decode(SampleFile.eventBridgeAppFlowUpdate.json())
        #expect(event.transport == .eventBridgeAppFlow)
        #expect(event.header.entityName == "Account")
        #expect(try event.header.recordSelection() == .records(["0016g00000MLhLeAAL"]))
        #expect(event.header.changeType == .update)
        #expect(event.header.commitNumber == 248_197_218_874)
        #expect(event.header.changedFields == ["LastModifiedDate", "Region__c"])
        #expect(ChangedFieldList.encoding(of: event.header.changedFields) == .fieldNames)
        #expect(event.eventBridgeID == "5c42b99e-e005-43b3-c744-07990c50d2cc")
        #expect(event.eventBridgeSource == "aws.partner/appflow.test/salesforce.com/364228160620/CustomSF-Source-Final")
        #expect(event.replayId == nil && event.schemaId == nil && event.channel == nil)
        #expect(event.fields.keys == ["LastModifiedDate", "Region__c"])
        #expect(event.fields["Region__c"] == "America")
    }

    @Test(arguments: SampleFile.others)
    func samplesThatAreNotChangeEventsAreRejected(sample: SampleFile) throws {
        let value = try sample.json()
        let error = #expect(throws: ChangeEventError.self) { try ChangeEvent.decode(value) }
        #expect(error?.message.isEmpty == false)
    }

    // MARK: - Every envelope decodes the same change

    @Test(arguments: SampleFile.changeEvents, Envelope.allCases)
    func sampleWrappedInAnyEnvelopeDecodesIdentically(sample: SampleFile, envelope: Envelope) throws {
        let payload = try sample.payload()
        let reference = try ChangeEvent.decode(sample.json())
        let event = try ChangeEvent.decode(envelope.wrap(payload))
        #expect(event.transport == envelope.transport)
        #expect(event.header == reference.header)
        #expect(event.fields == reference.fields)
        #expect(event.fields.keys == reference.fields.keys)
        #expect(event.fields.keys == payload.keys.filter { $0 != "ChangeEventHeader" })
    }
}
