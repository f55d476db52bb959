import EventSourcing
import Foundation
import JSON
import Logging

/// A swift-log handler writing one JSON object per line, for log collectors (`serve --log-format
/// json`): `time` (UTC, milliseconds), `level`, `label`, `source`, `message`, then the metadata's
/// keys (the handler's, its provider's, the entry's), each a string, array or object as given.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable ([UInt8]) -> Void

    /// A handler for loggers labelled `label`, writing each line with `write` (to standard error
    /// by default).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    /// Writes a line to standard error in one call, so concurrent lines never interleave. A
    /// failed write (a full disk under a redirected stderr) loses the line, never the server.
    public static let standardError: @Sendable ([UInt8]) -> Void = { bytes in
        try? FileHandle.standardError.write(contentsOf: bytes)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: JSONObject = [
            "time": .string(Timestamp.now().iso8601),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "source": .string(event.source),
            "message": .string(event.message.description),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let given = event.metadata { merged.merge(given) { _, new in new } }
        for key in merged.keys.sorted() where object[key] == nil {
            object[key] = Self.json(merged[key]!)
        }
        var line = JSONValue.object(object).jsonBytes()
        line.append(UInt8(ascii: "\n"))
        write(line)
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let members):
            .object(JSONObject(members.keys.sorted().map { JSONObject.Member(key: $0, value: json(members[$0]!)) }))
        }
    }
}
