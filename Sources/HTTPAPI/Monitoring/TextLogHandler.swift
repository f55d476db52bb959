import EventSourcing
import Foundation
import Logging

/// A swift-log handler writing one line per entry, for terminals (`serve --log-format text`, the
/// default): `<time> <level> <label>: <key=value …> [<source>] <message>`, as swift-log's
/// `StreamLogHandler` lays it out, with the time in UTC to the millisecond.
///
/// `StreamLogHandler` formats its whole metadata again each time a key is set. Every request
/// sets two keys on its logger (Hummingbird's request id and `request_id`) and nearly every
/// request logs nothing, so that formatting was about 3% of the server's CPU under `cdc-single`
/// (`perf`). This handler formats metadata only when it writes a line.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable ([UInt8]) -> Void

    /// A handler for loggers labelled `label`, writing each line with `write` (to standard error
    /// by default, in one call per line).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
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
        var line = "\(Timestamp.now().iso8601) \(event.level)"
        if !label.isEmpty { line += " \(label)" }
        line += ":"
        for key in merged.keys.sorted() {
            line += " \(key)=\(merged[key]!)"
        }
        line += " [\(event.source)] \(event.message)\n"
        write(Array(line.utf8))
    }
}
