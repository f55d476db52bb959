@testable import CRM
import Testing

@Suite("Stored event type names")
struct RecordEventTypeNameTests {
    @Test("every type and kind has its stored name, and the name reads back as that kind of that type only")
    func namesRoundTrip() {
        #expect(RecordEventTypeName.name(.clients, .created) == "ClientCreated")
        #expect(RecordEventTypeName.name(.subservices, .gapReported) == "SubserviceGapReported")
        for type in RecordType.allCases {
            for kind in RecordEventKind.allCases {
                let name = RecordEventTypeName.name(type, kind)
                #expect(name == type.eventPrefix + kind.rawValue)
                #expect(RecordEventTypeName.kind(of: name, for: type) == kind)
                for other in RecordType.allCases where other != type {
                    #expect(RecordEventTypeName.kind(of: name, for: other) == nil, "\(name) is not a name of \(other)")
                }
            }
        }
        #expect(RecordEventTypeName.kind(of: "ClientRenamed", for: .clients) == nil)
        #expect(RecordEventTypeName.kind(of: "", for: .clients) == nil)
    }
}
