import CRM
import JSON
import Testing

@Suite("Mapping files")
struct MappingFileTests {
    @Test func entriesReplaceTheDefaultsOfTheAggregatesTheyName() throws {
        let file = try JSONValue(parsing: #"""
        {"mappings": [{"aggregate": "clients", "object": "Account", "fields": [
          {"name": "name", "source": "Name", "transforms": ["trim"]},
          {"name": "sector", "sources": ["Sector__c", "Industry"], "type": "picklist", "values": {"Energy": "energy"}},
          {"name": "clientSince", "source": "Since__c", "type": "date", "default": "1970-01-01"},
          {"name": "label", "sources": ["Name", "Site"], "transforms": [{"concatenate": " @ "}]}
        ]}]}
        """#)
        let mappings = try MappingSet(file: file)
        let clients = try #require(mappings[.clients])
        #expect(clients.fields.map(\.name) == ["name", "sector", "clientSince", "label"])
        #expect(clients.fields[1].type == .picklist(values: ["Energy": "energy"], strict: false))
        #expect(clients.fields[3].transforms == [.concatenate(separator: " @ ")])
        #expect(mappings[.deals] == EntityMapping.defaultDeal)
        #expect(mappings.recordType(forObject: "Account") == .clients)
    }

    @Test(arguments: [
        (#"{"mappings": [{"aggregate": "widgets", "fields": [{"name": "a", "source": "A"}]}]}"#, "mappings[0].aggregate", "widgets"),
        (#"{"mappings": [{"aggregate": "deals", "fields": [{"name": "a", "source": "A", "type": "currency"}]}]}"#, "mappings[0].fields[0] (deals.a).type", "currency"),
        (#"{"mappings": [{"aggregate": "deals", "fields": [{"name": "a", "source": "A", "transforms": ["reverse"]}]}]}"#, "mappings[0].fields[0] (deals.a).transforms[0]", "reverse"),
        (#"{"mappings": [{"aggregate": "deals", "fields": [{"name": "a"}]}]}"#, "mappings[0].fields[0] (deals.a)", "source"),
        (#"{"mappings": [{"aggregate": "deals", "fields": [{"name": "a", "source": "A", "type": "reference", "references": "planets"}]}]}"#, "mappings[0].fields[0] (deals.a).references", "planets"),
        (#"{"mappings": [{"aggregate": "deals", "object": "Account", "fields": [{"name": "a", "source": "A"}]}]}"#, "mappings", "Account"),
        (#"{"maps": []}"#, "mappings", "array"),
        (#"{"mappings": [{"aggregate": "deals", "fields": [{"name": "a", "source": "A", "transform": ["trim"]}]}]}"#, "mappings[0].fields[0] (deals.a).transform", "unknown key"),
        (#"{"mappings": [{"aggregate": "deals", "fields": [{"name": "a", "source": "A", "type": "date", "default": "soon"}]}]}"#, "mappings[0].fields[0] (deals.a).default", "soon"),
        (#"{"mappings": [{"aggregate": "deals", "fields": [{"name": "a", "source": "A", "type": "picklist", "strict": "yes"}]}]}"#, "mappings[0].fields[0] (deals.a).strict", "yes"),
    ])
    func badEntriesAreRefusedNamingTheEntry(text: String, path: String, mentions: String) throws {
        let json = try JSONValue(parsing: text)
        do {
            _ = try MappingSet(file: json)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.path == path)
            #expect(error.description.contains(mentions))
        }
    }
}
