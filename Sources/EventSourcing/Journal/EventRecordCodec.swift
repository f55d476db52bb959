import JSON

/// The stored form of one event (format 1), shared by every journal so that each verifies the
/// same checksum on read.
///
/// ```
/// offset 0   u8   format (1)
/// offset 1   u32  CRC-32C, little-endian
/// offset 5   u64  stream version, little-endian
/// offset 13  i64  recorded-at epoch milliseconds, little-endian
/// offset 21  body: stream name, type name (varuint length + UTF-8 each),
///            metadata object, data value (compact binary JSON)
/// ```
/// The checksum covers the body, then the position (the record's key, 8 bytes big-endian), then
/// bytes 5–20, so a record that is damaged, truncated or filed under the wrong position fails it.
/// The body does not depend on position or version, so appenders encode it (and its checksum)
/// on their own threads before the single writer places it.
package enum EventRecordCodec {
    package static let format: UInt8 = 1
    package static let headerSize = 21

    /// An event's body, encoded by the appender.
    package struct EncodedBody: Sendable {
        package let bytes: [UInt8]
        package let checksum: UInt32
        package let recordedAt: Timestamp?
    }

    package static func encodeBody(stream: StreamName, event: NewEvent) -> EncodedBody {
        var writer = ByteWriter(capacity: 256)
        writer.writeVarUInt(UInt64(stream.storedFormCount))
        stream.appendStoredForm(to: &writer.bytes)
        writer.writeString(event.type)
        JSONValue.object(event.metadata).encodeBinary(into: &writer)
        event.data.encodeBinary(into: &writer)
        return EncodedBody(bytes: writer.bytes, checksum: CRC32C.checksum(writer.bytes), recordedAt: event.recordedAt)
    }

    /// Writes the 21-byte header for `body` at `position` into `header`.
    package static func writeHeader(
        into header: UnsafeMutableRawBufferPointer,
        body: EncodedBody,
        position: UInt64,
        version: UInt64,
        recordedAt: Timestamp
    ) {
        header.storeBytes(of: format, toByteOffset: 0, as: UInt8.self)
        header.storeBytes(of: version.littleEndian, toByteOffset: 5, as: UInt64.self)
        header.storeBytes(of: recordedAt.millisecondsSinceEpoch.littleEndian, toByteOffset: 13, as: Int64.self)
        let checksum = trailerChecksum(
            bodyChecksum: body.checksum,
            position: position,
            fixedFields: UnsafeRawBufferPointer(rebasing: header[5..<headerSize])
        )
        header.storeBytes(of: checksum.littleEndian, toByteOffset: 1, as: UInt32.self)
    }

    package static func decode(position: UInt64, record: UnsafeRawBufferPointer) throws(JournalError) -> RecordedEvent {
        guard record.count >= headerSize else {
            throw .corruptEvent(position: position, reason: "the record is \(record.count) bytes, shorter than its header")
        }
        guard record[0] == format else {
            throw .corruptEvent(position: position, reason: "unknown record format \(record[0])")
        }
        let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 1, as: UInt32.self))
        let body = UnsafeRawBufferPointer(rebasing: record[headerSize...])
        let computed = trailerChecksum(
            bodyChecksum: CRC32C.checksum(body),
            position: position,
            fixedFields: UnsafeRawBufferPointer(rebasing: record[5..<headerSize])
        )
        guard stored == computed else {
            throw .corruptEvent(position: position, reason: "checksum mismatch (stored \(stored), computed \(computed))")
        }
        let version = UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 5, as: UInt64.self))
        let recordedAt = Int64(littleEndian: record.loadUnaligned(fromByteOffset: 13, as: Int64.self))
        var reader = ByteReader(Array(body))
        do {
            let (category, id) = try reader.readString(splitAtFirst: UInt8(ascii: "/"))
            guard let id, !category.isEmpty, !id.isEmpty else {
                throw JournalError.corruptEvent(position: position, reason: "invalid stream name \(category)\(id.map { "/" + $0 } ?? "")")
            }
            let stream = StreamName(category: category, id: id)
            let type = try reader.readString()
            guard case .object(let metadata) = try JSONValue.decodeBinary(from: &reader) else {
                throw JournalError.corruptEvent(position: position, reason: "the metadata is not an object")
            }
            let data = try JSONValue.decodeBinary(from: &reader)
            guard reader.isAtEnd else {
                throw JournalError.corruptEvent(position: position, reason: "unexpected bytes after the event data")
            }
            return RecordedEvent(
                position: position,
                stream: stream,
                version: version,
                type: type,
                recordedAt: Timestamp(millisecondsSinceEpoch: recordedAt),
                metadata: metadata,
                data: data
            )
        } catch let error as JournalError {
            throw error
        } catch {
            throw .corruptEvent(position: position, reason: "\(error)")
        }
    }

    private static func trailerChecksum(bodyChecksum: UInt32, position: UInt64, fixedFields: UnsafeRawBufferPointer) -> UInt32 {
        let afterPosition = withUnsafeBytes(of: position.bigEndian) { CRC32C.checksum($0, seed: bodyChecksum) }
        return CRC32C.checksum(fixedFields, seed: afterPosition)
    }
}


extension EventRecordCodec {
    /// A whole record (header and body) for `body` at `position`.
    package static func record(body: EncodedBody, position: UInt64, version: UInt64, recordedAt: Timestamp) -> [UInt8] {
        var record = [UInt8](repeating: 0, count: headerSize + body.bytes.count)
        record.withUnsafeMutableBytes { buffer in
            writeHeader(
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<headerSize]),
                body: body,
                position: position,
                version: version,
                recordedAt: recordedAt
            )
            body.bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[headerSize...]).copyMemory(from: $0) }
        }
        return record
    }
}

extension EventRecordCodec {
    /// The facts of a stored record that operations tools need, read without decoding the
    /// metadata and data.
    package struct Header: Sendable, Hashable {
        package var stream: StreamName
        package var version: UInt64
        package var type: String
        package var recordedAt: Timestamp
    }

    /// The stream and version of a stored record, read without checking the checksum or decoding
    /// the rest: for rebuilding indexes from the log, where more would cost more than the scan.
    package static func streamAndVersion(position: UInt64, record: UnsafeRawBufferPointer) throws(JournalError) -> (stream: StreamName, version: UInt64) {
        let (header, _) = try readHeader(position: position, record: record, withType: false)
        return (header.stream, header.version)
    }

    /// The record's header facts, after checking its checksum: for `verify` and `stats`, which
    /// must read every record but need not decode the event.
    package static func verifiedHeader(position: UInt64, record: UnsafeRawBufferPointer) throws(JournalError) -> Header {
        let (header, _) = try readHeader(position: position, record: record, withType: true)
        let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 1, as: UInt32.self))
        let computed = trailerChecksum(
            bodyChecksum: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: record[headerSize...])),
            position: position,
            fixedFields: UnsafeRawBufferPointer(rebasing: record[5..<headerSize])
        )
        guard stored == computed else {
            throw .corruptEvent(position: position, reason: "checksum mismatch (stored \(stored), computed \(computed))")
        }
        return header
    }

    private static func readHeader(position: UInt64, record: UnsafeRawBufferPointer, withType: Bool) throws(JournalError) -> (Header, Int) {
        guard record.count > headerSize, record[0] == format else {
            throw .corruptEvent(position: position, reason: "the record is too short or of an unknown format")
        }
        let version = UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 5, as: UInt64.self))
        let recordedAt = Int64(littleEndian: record.loadUnaligned(fromByteOffset: 13, as: Int64.self))
        var offset = headerSize
        guard let name = readString(record, at: &offset), let stream = StreamName(name) else {
            throw .corruptEvent(position: position, reason: "the record's stream name is malformed")
        }
        var type = ""
        if withType {
            guard let text = readString(record, at: &offset) else {
                throw .corruptEvent(position: position, reason: "the record's event type is malformed")
            }
            type = text
        }
        let header = Header(stream: stream, version: version, type: type, recordedAt: Timestamp(millisecondsSinceEpoch: recordedAt))
        return (header, offset)
    }

    /// A varuint-length-prefixed UTF-8 string at `offset`, which moves past it.
    private static func readString(_ record: UnsafeRawBufferPointer, at offset: inout Int) -> String? {
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < record.count, shift < 63 else { return nil }
            let byte = record[offset]
            offset += 1
            length |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        guard length <= UInt64(record.count - offset) else { return nil }
        let end = offset + Int(length)
        defer { offset = end }
        return String(validating: UnsafeRawBufferPointer(rebasing: record[offset..<end]), as: UTF8.self)
    }
}
