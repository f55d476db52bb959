import EventSourcing
import Synchronization

/// Where the publisher keeps the position it has published through.
public protocol PublisherCheckpoint: Sendable {
    /// The stored position; 0 when none.
    func load() throws -> UInt64
    /// Stores `position` durably.
    func save(_ position: UInt64) throws
}

/// A checkpoint in a small file beside the journal, written atomically and fsynced. Stamped with
/// the journal's id: a checkpoint of another history (a journal replaced by an import) does not
/// load, and the publisher starts from the beginning of the new one.
public struct FilePublisherCheckpoint: PublisherCheckpoint {
    /// The file.
    public let path: String
    /// The id of the journal whose positions it counts.
    public let journalID: String

    /// A checkpoint in `path` for the journal `journalID`.
    public init(path: String, journalID: String) {
        self.path = path
        self.journalID = journalID
    }

    public func load() throws -> UInt64 {
        guard let bytes = try DurableFile.read(path) else { return 0 }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard lines.count == 3, lines[0] == "tributary-publisher 1", lines[1] == "journal \(journalID)",
            lines[2].hasPrefix("position "), let position = UInt64(lines[2].dropFirst("position ".count))
        else { throw PublisherCheckpointError(path: path) }
        return position
    }

    public func save(_ position: UInt64) throws {
        try DurableFile.write(Array("tributary-publisher 1\njournal \(journalID)\nposition \(position)\n".utf8), to: path)
    }
}

/// A checkpoint file that is not one, or belongs to another journal.
public struct PublisherCheckpointError: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    public var description: String {
        "\(path) is not a publisher checkpoint of this journal"
    }
}

/// A checkpoint in memory, for servers whose journal is in memory too.
public final class InMemoryPublisherCheckpoint: PublisherCheckpoint {
    private let position = Mutex<UInt64>(0)

    /// A checkpoint at 0.
    public init() {}

    public func load() -> UInt64 { position.withLock { $0 } }
    public func save(_ position: UInt64) { self.position.withLock { $0 = position } }
}
