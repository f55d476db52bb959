@testable import Backfill
import CRM
import EventSourcing
import JSON
import Testing

/// SOQL built from mappings, and REST records turned into record commands.
@Suite("Reading Salesforce records")
struct SalesforceRecordReadingTests {
    @Test func theSelectListHoldsTheBookkeepingFieldsAndEveryMappedSourceByItsRESTName() {
        let fields = SalesforceRecordReading.fields(for: .defaultClient, includeDeleted: true)
        #expect(Array(fields.prefix(3)) == ["Id", "LastModifiedDate", "SystemModstamp"])
        #expect(fields.contains("BillingCity"))
        #expect(fields.contains("BillingCountry"))
        #expect(fields.contains("NumberOfEmployees"))
        #expect(!fields.contains { $0.contains(".") })
        #expect(Set(fields).count == fields.count)
        #expect(fields.last == "IsDeleted")
    }

    @Test func aResumedBackfillAsksForRecordsAfterItsWatermarkInAStableOrder() {
        let soql = SalesforceRecordReading.backfillQuery(
            for: .defaultDeal, includeDeleted: false,
            since: Timestamp(iso8601: "2026-01-01T00:00:00.250Z"),
            after: BackfillWatermark(systemModstamp: Timestamp(iso8601: "2026-02-03T04:05:06Z")!.millisecondsSinceEpoch, id: "006000000000001AAA")
        )
        #expect(soql.hasPrefix("SELECT Id, LastModifiedDate, SystemModstamp, "))
        #expect(soql.contains(" FROM Opportunity WHERE SystemModstamp >= 2026-01-01T00:00:00Z AND "))
        #expect(soql.contains("(SystemModstamp > 2026-02-03T04:05:06Z OR (SystemModstamp = 2026-02-03T04:05:06Z AND Id > '006000000000001AAA'))"))
        #expect(soql.hasSuffix(" ORDER BY SystemModstamp ASC, Id ASC"))
    }

    @Test func aRESTRecordBecomesAnUpsertWithItsCompoundFieldsNestedAndItsLastModifiedDateAsCommitTime() throws {
        let record = try JSONValue(parsing: Array("""
            {"attributes": {"type": "Account", "url": "/services/data/v60.0/sobjects/Account/001ak00000OKNPHAA5"},
             "Id": "001ak00000OKNPHAA5", "Name": "Acme", "BillingCity": "Paris", "BillingCountry": "France",
             "LastModifiedDate": "2026-03-01T10:00:00.000+0000", "SystemModstamp": "2026-03-01T10:00:05.000+0000", "IsDeleted": false}
            """.utf8)).objectValue!
        let read = try SalesforceRecordReading.read(record, entity: "Account", source: .backfill, job: "job-1").get()
        #expect(read.id == "001ak00000OKNPHAA5")
        #expect(read.lastModified == Timestamp(iso8601: "2026-03-01T10:00:00Z")!.millisecondsSinceEpoch)
        #expect(read.systemModstamp == read.lastModified + 5_000)
        #expect(read.command.operation == .upsert)
        #expect(read.command.facts.source == .backfill)
        #expect(read.command.facts.backfillJob == "job-1")
        // A millisecond before LastModifiedDate: a live change stamped with the same second wins.
        #expect(read.command.facts.commitTimestamp == read.lastModified - 1)
        #expect(read.command.body.fields["LastModifiedDate"] == "2026-03-01T10:00:00.000Z")
        #expect(read.command.body.fields["BillingAddress"] == ["City": "Paris", "Country": "France"])
        #expect(read.command.body.fields["BillingCity"] == nil)
        #expect(read.command.body.fields["attributes"] == nil)
        #expect(read.command.body.fields["Name"] == "Acme")

        // A re-read answering a gap is at least as recent as the gap.
        let reread = try SalesforceRecordReading.read(record, entity: "Account", source: .gapFill, job: nil, notBefore: read.lastModified + 60_000).get()
        #expect(reread.command.facts.commitTimestamp == read.lastModified + 60_000)
    }

    @Test func aRecordInTheRecycleBinIsADeleteAndOneWithoutIdOrDateIsRefused() throws {
        let deleted = try SalesforceRecordReading.read(
            ["Id": "001ak00000OKNPH", "LastModifiedDate": "2026-03-01T10:00:00.000+0000", "IsDeleted": true, "Name": "Gone"],
            entity: "Account", source: .backfill, job: nil
        ).get()
        #expect(deleted.id == "001ak00000OKNPHAA5")
        #expect(deleted.command.operation == .delete)
        #expect(deleted.command.body.fields.isEmpty)
        #expect(throws: SalesforceRecordReading.ReadError.self) {
            try SalesforceRecordReading.read(["Name": "No id", "LastModifiedDate": "2026-03-01T10:00:00.000+0000"], entity: "Account", source: .backfill, job: nil).get()
        }
        #expect(throws: SalesforceRecordReading.ReadError.self) {
            try SalesforceRecordReading.read(["Id": "001ak00000OKNPHAA5"], entity: "Account", source: .backfill, job: nil).get()
        }
    }
}
