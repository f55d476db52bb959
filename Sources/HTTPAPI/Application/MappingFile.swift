import CRM
import Foundation
import JSON

/// Reads a mapping file (see the README for its format).
public enum MappingFile {
    /// A mapping file that cannot be read or used.
    public struct LoadError: Error, CustomStringConvertible {
        /// What went wrong, naming the file and the entry at fault.
        public var description: String
    }

    /// The mappings in the file at `path`, laid over the built-in defaults.
    public static func load(_ path: String) throws(LoadError) -> MappingSet {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw LoadError(description: "cannot read the mapping file \(path): \(error.localizedDescription)")
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw LoadError(description: "the mapping file \(path) is not valid JSON: \(error)")
        }
        do {
            return try MappingSet(file: json)
        } catch {
            throw LoadError(description: "the mapping file \(path) is invalid at \(error)")
        }
    }
}
