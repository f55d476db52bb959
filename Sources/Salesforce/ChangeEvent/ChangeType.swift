/// What a change event says happened to its records.
///
/// The raw values are the strings Salesforce sends in `ChangeEventHeader.changeType`. The `GAP_*`
/// kinds carry no field values: Salesforce could not produce the change, so the records must be
/// re-read (``isGap``), and `GAP_OVERFLOW` asks for the whole entity to be re-synchronised.
public enum ChangeType: String, Sendable, Hashable, CaseIterable {
    /// A record was created.
    case create = "CREATE"
    /// A record was updated.
    case update = "UPDATE"
    /// A record was deleted (moved to the recycle bin).
    case delete = "DELETE"
    /// A record was restored from the recycle bin.
    case undelete = "UNDELETE"
    /// A record was created, but Salesforce could not produce the change's fields.
    case gapCreate = "GAP_CREATE"
    /// A record was updated, but Salesforce could not produce the change's fields.
    case gapUpdate = "GAP_UPDATE"
    /// A record was deleted, but Salesforce could not produce the change.
    case gapDelete = "GAP_DELETE"
    /// A record was undeleted, but Salesforce could not produce the change.
    case gapUndelete = "GAP_UNDELETE"
    /// A transaction changed too many records; every record of the entity must be re-read.
    case gapOverflow = "GAP_OVERFLOW"

    /// Whether this is a gap event: it carries no usable field values and the records it names
    /// must be re-read from Salesforce.
    public var isGap: Bool {
        switch self {
        case .create, .update, .delete, .undelete: false
        case .gapCreate, .gapUpdate, .gapDelete, .gapUndelete, .gapOverflow: true
        }
    }
}
