@testable import EventSourcing
import Testing

@Suite("CRC32C")
struct CRC32CTests {
    /// A bit-at-a-time CRC-32C, the definition the table-driven code must agree with.
    static func reference(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    // MARK: - Known values

    @Test func standardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func knownVectors() {
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    // MARK: - Paths agree

    /// The processor's instruction (where used) and the tables give the same checksums, chained
    /// through seeds too.
    @Test func instructionAndTablesAgree() {
        var generator = SeededGenerator(seed: 0x5EED)
        for _ in 0..<500 {
            let length = Int.random(in: 0...300, using: &generator)
            let offset = Int.random(in: 0...7, using: &generator)
            let seed = UInt32.random(in: 0...UInt32.max, using: &generator)
            let bytes = (0..<(offset + length)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.withUnsafeBytes { buffer in
                let part = UnsafeRawBufferPointer(rebasing: buffer[offset...])
                #expect(CRC32C.checksum(part, seed: seed) == CRC32C.tableChecksum(part, seed: seed), "length \(length)")
            }
            let slice = Array(bytes[offset...])
            #expect(slice.withUnsafeBytes { CRC32C.tableChecksum($0) } == Self.reference(slice), "length \(length)")
        }
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32C.tableChecksum($0) } == 0xE306_9283)
    }

    /// On this project's machines (x86-64 with SSE 4.2) the instruction is in use.
    @Test func theInstructionIsUsedWhereThereIsOne() {
        #if arch(x86_64)
        #expect(CRC32C.usesHardware)
        #endif
    }

    @Test func slicingPathAgreesWithTheByteAtATimeDefinition() {
        var generator = SeededGenerator(seed: 0xC3C3)
        for _ in 0..<500 {
            let length = Int.random(in: 0...300, using: &generator)
            let offset = Int.random(in: 0...7, using: &generator)
            let bytes = (0..<(offset + length)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let slice = Array(bytes[offset...])
            let fromUnalignedBuffer = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            #expect(CRC32C.checksum(slice) == Self.reference(slice), "length \(length)")
            #expect(fromUnalignedBuffer == Self.reference(slice), "length \(length) offset \(offset)")
        }
    }

    @Test func feedingOneByteAtATimeMatchesTheWholeBuffer() {
        var generator = SeededGenerator(seed: 0x5EED)
        for _ in 0..<100 {
            let bytes = (0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var crc: UInt32 = 0
            for byte in bytes { crc = CRC32C.checksum([byte], seed: crc) }
            #expect(crc == CRC32C.checksum(bytes))
        }
    }

    @Test func seedContinuesAnEarlierChecksum() {
        var generator = SeededGenerator(seed: 0xABCD)
        for _ in 0..<100 {
            let bytes = (0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let split = Int.random(in: 0...bytes.count, using: &generator)
            let head = CRC32C.checksum(Array(bytes[..<split]))
            #expect(CRC32C.checksum(Array(bytes[split...]), seed: head) == CRC32C.checksum(bytes))
        }
    }

    @Test func aSingleFlippedBitChangesTheChecksum() {
        let bytes = Array("the event at position 42".utf8)
        let original = CRC32C.checksum(bytes)
        for index in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[index] ^= 1 << bit
                #expect(CRC32C.checksum(damaged) != original)
            }
        }
    }
}
