#if canImport(Glibc)
import Glibc
#endif

/// Projection snapshots as files, one per projection: `<directory>/<name>.snapshot`.
///
/// ```
/// magic "TRBSNAP1" | u32 stamp length | stamp (UTF-8) | u64 position | u64 body length |
/// body | u32 CRC-32C of everything before it
/// ```
/// (integers little-endian). A save writes a temporary file, fsyncs it and renames it over the
/// old one, so a crash leaves the old snapshot or the new one, never half of one. A file that is
/// damaged, truncated, or stamped for other code or another mapping is reported and ignored:
/// the projection replays the log instead. Snapshots are derived data; losing one costs time,
/// not events.
public struct ProjectionSnapshotStore: Sendable {
    /// The directory holding the snapshot files.
    public let directory: String
    /// Identifies the running build; part of every stamp, so a snapshot written by another
    /// build of the code is never loaded.
    public let buildIdentity: String
    private static let magic = Array("TRBSNAP1".utf8)

    /// A store in `directory` (created on first save) for snapshots of `buildIdentity`.
    public init(directory: String, buildIdentity: String) {
        self.directory = directory
        self.buildIdentity = buildIdentity
    }

    /// The stamp written for a projection stamped `stamp`.
    func fullStamp(_ stamp: String) -> String {
        "build \(buildIdentity); \(stamp)"
    }

    /// A loaded snapshot.
    public struct Snapshot: Sendable {
        /// The position of the last event folded into the state.
        public var position: UInt64
        /// The projection's encoded state.
        public var bytes: [UInt8]
    }

    /// Why a snapshot file was not used.
    public struct Rejection: Error, Sendable, CustomStringConvertible {
        /// What was wrong with it.
        public var reason: String
        public var description: String { reason }
    }

    func path(of name: String) -> String {
        directory + "/" + name + ".snapshot"
    }

    /// Writes `bytes` as the snapshot of `name` at `position`, replacing the previous one.
    public func save(name: String, stamp: String, position: UInt64, bytes: [UInt8]) throws(FileIOError) {
        if mkdir(directory, 0o755) != 0, errno != EEXIST { throw FileIOError(operation: "mkdir \(directory)", code: errno) }
        let stamp = fullStamp(stamp)
        var file = Self.magic
        append(UInt32(stamp.utf8.count), to: &file)
        file.append(contentsOf: stamp.utf8)
        append(position, to: &file)
        append(UInt64(bytes.count), to: &file)
        file.append(contentsOf: bytes)
        append(CRC32C.checksum(file), to: &file)

        try DurableFile.write(file, to: path(of: name))
    }

    /// The snapshot of `name` if there is one stamped `stamp` and intact; `nil` when there is
    /// none; throws a rejection naming what is wrong with an unusable one.
    public func load(name: String, stamp: String) throws(Rejection) -> Snapshot? {
        let stamp = fullStamp(stamp)
        let path = path(of: name)
        let content: [UInt8]?
        do {
            content = try DurableFile.read(path)
        } catch {
            throw Rejection(reason: "\(error)")
        }
        guard let file = content else { return nil }
        var offset = 0
        func take(_ count: Int) throws(Rejection) -> ArraySlice<UInt8> {
            guard count >= 0, count <= file.count - offset else { throw Rejection(reason: "\(path) is truncated") }
            defer { offset += count }
            return file[offset..<offset + count]
        }
        func integer<T: FixedWidthInteger>(_: T.Type) throws(Rejection) -> T {
            let bytes = try take(MemoryLayout<T>.size)
            return bytes.reversed().reduce(T(0)) { ($0 << 8) | T($1) }
        }
        guard try take(Self.magic.count).elementsEqual(Self.magic) else { throw Rejection(reason: "\(path) is not a snapshot file") }
        guard file.count >= Self.magic.count + 4 else { throw Rejection(reason: "\(path) is truncated") }
        let stored = file.suffix(4).reversed().reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        guard CRC32C.checksum(Array(file.dropLast(4))) == stored else { throw Rejection(reason: "\(path) fails its checksum") }
        let stampLength = Int(try integer(UInt32.self))
        let fileStamp = String(decoding: try take(stampLength), as: UTF8.self)
        guard fileStamp == stamp else {
            throw Rejection(reason: "\(path) was written by other code or for another mapping (stamp \(fileStamp), expected \(stamp))")
        }
        let position = try integer(UInt64.self)
        let length = try integer(UInt64.self)
        guard length <= UInt64(file.count - offset - 4) else { throw Rejection(reason: "\(path) is truncated") }
        return Snapshot(position: position, bytes: Array(try take(Int(length))))
    }

    private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

