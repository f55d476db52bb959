import EventSourcing
import Foundation
import JSON
import Logging

/// A swift-log handler writing one line per entry to standard error (`serve --log-format`).
///
/// - `text` (the default, for terminals): `<time> <level> <label>: <key=value …> [<source>]
///   <message>`, as swift-log's `StreamLogHandler` lays it out, with the time in UTC to the
///   millisecond.
/// - `json` (for log collectors): one object per line, `time` (UTC, milliseconds), `level`,
///   `label`, `source`, `message`, then the metadata's keys, each a string, array or object as
///   given.
///
/// Metadata is merged (the handler's, its provider's, the entry's, then the entry's error as
/// `error.message` and `error.type`) and formatted only when a line is written.
/// `StreamLogHandler` formats its whole metadata again each time a key is set; every request sets
/// two keys (Hummingbird's request id and `request_id`) and nearly every request logs nothing,
/// so that formatting cost about 3% of the server's CPU under `cdc-single` (`perf`).
public struct LineLogHandler: LogHandler {
    /// How a line is laid out.
    public enum Format: String, Sendable {
        case text, json
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: Format
    private let write: @Sendable ([UInt8]) -> Void

    /// A handler for loggers labelled `label`, writing each line in `format` with `write` (to
    /// standard error by default, in one call per line).
    public init(
        label: String,
        format: Format,
        metadataProvider: Logger.MetadataProvider? = nil,
        write: @escaping @Sendable ([UInt8]) -> Void = LineLogHandler.standardError
    ) {
        self.label = label
        self.format = format
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
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let given = event.metadata { merged.merge(given) { _, new in new } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        switch format {
        case .text: write(textLine(event, merged))
        case .json: write(jsonLine(event, merged))
        }
    }

    private func textLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> [UInt8] {
        var line = "\(Timestamp.now().iso8601) \(event.level)"
        if !label.isEmpty { line += " \(label)" }
        line += ":"
        for key in metadata.keys.sorted() {
            line += " \(key)=\(metadata[key]!)"
        }
        line += " [\(event.source)] \(event.message)\n"
        return Array(line.utf8)
    }

    private func jsonLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> [UInt8] {
        var object: JSONObject = [
            "time": .string(Timestamp.now().iso8601),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "source": .string(event.source),
            "message": .string(event.message.description),
        ]
        for key in metadata.keys.sorted() where object[key] == nil {
            object[key] = Self.json(metadata[key]!)
        }
        var line = JSONValue.object(object).jsonBytes()
        line.append(UInt8(ascii: "\n"))
        return line
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
