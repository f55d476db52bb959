/// The name of one event stream: the history of one record.
///
/// A stream belongs to a category (the aggregate type, e.g. `clients`) and an id (the record id);
/// its stored form is `category/id`. Categories never contain `/`.
public struct StreamName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The aggregate type, e.g. `clients`.
    public let category: String
    /// The record id within the category.
    public let id: String

    /// A stream name from its parts.
    public init(category: String, id: String) {
        self.category = category
        self.id = id
    }

    /// Parses the stored form `category/id`; `nil` when there is no `/` or either part is empty.
    public init?(_ text: String) {
        guard let slash = text.utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let category = String(text[..<slash])
        let id = String(text[text.utf8.index(after: slash)...])
        guard !category.isEmpty, !id.isEmpty else { return nil }
        self.init(category: category, id: id)
    }

    /// The stored form, `category/id`.
    public var description: String { "\(category)/\(id)" }

    /// The length of the stored form in UTF-8 bytes.
    public var storedFormCount: Int { category.utf8.count &+ 1 &+ id.utf8.count }

    /// Appends the stored form's UTF-8 to `bytes` without building the string (the journal
    /// writes it with every event).
    public func appendStoredForm(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: category.utf8)
        bytes.append(UInt8(ascii: "/"))
        bytes.append(contentsOf: id.utf8)
    }

    public static func < (lhs: StreamName, rhs: StreamName) -> Bool {
        (lhs.category, lhs.id) < (rhs.category, rhs.id)
    }
}
