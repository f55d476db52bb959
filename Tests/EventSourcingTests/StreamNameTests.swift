import EventSourcing
import Testing

@Suite("StreamName")
struct StreamNameTests {
    @Test func storedFormIsCategorySlashID() {
        #expect(StreamName(category: "clients", id: "001xx").description == "clients/001xx")
    }

    @Test func parsingSplitsAtTheFirstSlash() throws {
        let name = try #require(StreamName("deals/a/b"))
        #expect(name == StreamName(category: "deals", id: "a/b"))
        #expect(StreamName(name.description) == name)
    }

    @Test(arguments: ["", "clients", "/001", "clients/", "/"])
    func textWithoutBothPartsIsRejected(text: String) {
        #expect(StreamName(text) == nil)
    }

    @Test func namesOrderByCategoryThenID() {
        let names = [
            StreamName(category: "deals", id: "1"),
            StreamName(category: "clients", id: "2"),
            StreamName(category: "clients", id: "10"),
        ]
        #expect(names.sorted().map(\.description) == ["clients/10", "clients/2", "deals/1"])
    }
}
