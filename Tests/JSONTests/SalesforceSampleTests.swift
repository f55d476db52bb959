import Foundation
import JSON
import Testing

@Suite("Salesforce sample payloads")
struct SalesforceSampleTests {
    /// The repository root: three levels above this file (`Tests/JSONTests/<file>`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `<repo root>/../shared/salesforce/samples`.
    static let samplesDirectory = repositoryRoot
        .appendingPathComponent("../shared/salesforce/samples")
        .standardizedFileURL

    @Test func everySampleParsesAndRoundTrips() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.samplesDirectory.path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
        #expect(!names.isEmpty)
        for name in names {
            let data = try Data(contentsOf: Self.samplesDirectory.appendingPathComponent(name))
            let value = try JSONValue(parsing: [UInt8](data))
            let written = value.jsonBytes()
            let reparsed = try JSONValue(parsing: written)
            #expect(reparsed == value, "\(name)")
            #expect(reparsed.jsonBytes() == written, "\(name)")
            #expect(try JSONValue(binary: value.binaryBytes()) == value, "\(name)")
        }
    }

    @Test func changeEventCommitNumberKeepsItsDigits() throws {
        let url = Self.samplesDirectory.appendingPathComponent("cdc-create-account-compound.cometd.json")
        let value = try JSONValue(parsing: [UInt8](try Data(contentsOf: url)))
        let header = value["payload"]?["ChangeEventHeader"]
        #expect(header?["commitNumber"]?.numberValue?.text == "72227828942")
        #expect(header?["entityName"] == "Account")
    }
}
