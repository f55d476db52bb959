/// Which records a change event applies to, once its `recordIds` are validated.
///
/// Ingestion fans a change out to one aggregate per id in ``records(_:)``; ``entity`` means the
/// event cannot be applied record by record and every record of the entity must be re-read
/// (a wildcard id after a field-type conversion, or a `GAP_OVERFLOW`).
public enum RecordSelection: Sendable, Hashable {
    /// These records, as normalised 18-character ids, duplicates removed, in the order received.
    case records([String])
    /// The whole entity: re-synchronise every record of it.
    case entity
}
