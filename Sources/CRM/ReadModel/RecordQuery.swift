/// A list query over one record type: equality filters on mapped fields, then a page in id order.
public struct RecordQuery: Sendable, Hashable {
    /// Domain field name → the value's text (`"Energy"`, `"42"`, `"true"`).
    public var filters: [String: String]
    /// Whether deleted records are listed too.
    public var includeDeleted: Bool
    /// List only ids after this one (the previous page's cursor).
    public var after: String?
    /// The most records on the page.
    public var limit: Int

    /// A query; by default the first 50 records that are not deleted.
    public init(filters: [String: String] = [:], includeDeleted: Bool = false, after: String? = nil, limit: Int = 50) {
        self.filters = filters
        self.includeDeleted = includeDeleted
        self.after = after
        self.limit = limit
    }
}

/// One page of a list query.
public struct RecordPage: Sendable, Hashable {
    /// The records, in id order.
    public var items: [RecordView]
    /// The cursor for the next page, `nil` on the last page.
    public var next: String?
}
