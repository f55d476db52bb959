import EventSourcing
import JSON

/// Applies a Salesforce large-text diff to the stored text.
///
/// Salesforce sends a changed text field of 1,000+ characters as a unified diff plus the SHA-256
/// of the full new value. Parsing diffs is the Salesforce module's business; the application
/// hands an implementation to ``SalesforceRecord``.
public protocol LargeTextPatching: Sendable {
    /// Whether `value` is a diff rather than a value.
    func isDiff(_ value: String) -> Bool
    /// The full new text: `diff` applied to `base`, its digest checked. Fails with a message
    /// saying why it could not be applied.
    func patch(_ base: String, with diff: String) -> Result<String, LargeTextPatchFailure>
}

/// Why a large-text diff could not be applied.
public struct LargeTextPatchFailure: Error, Sendable, Hashable {
    /// What went wrong, for the re-read reason.
    public var message: String

    /// A failure.
    public init(message: String) {
        self.message = message
    }
}

extension SalesforceRecord {
    /// Replaces every large-text diff in the event's body by the full new value, patched onto
    /// the stored one. A diff that cannot be applied (no stored value, a context or digest
    /// mismatch) is dropped and marks the record for a re-read. A diff is never recorded as a
    /// value, so replaying the journal needs no patching.
    func resolveLargeTextDiffs(in event: inout RecordEvent, state: RecordState) {
        guard !event.body.diffFields.isEmpty || event.body.fields.contains(where: { $0.value.objectValue != nil }) else { return }
        let diffs = diffMembers(of: event.body)
        guard !diffs.isEmpty else { return }
        let time = event.facts.commitTimestamp
        var failures: [String] = []
        for (field, diff) in diffs {
            if let time, let stored = state.fields[field], stored.committedAt > time {
                // A newer value is already stored: this older change would not win anyway.
                event.body.fields[field] = nil
                continue
            }
            guard let base = state.value(at: field)?.stringValue else {
                event.body.fields[field] = nil
                failures.append("\(field): a large-text diff arrived but no stored value to patch")
                continue
            }
            guard let largeText else {
                event.body.fields[field] = nil
                failures.append("\(field): large-text diffs cannot be applied here")
                continue
            }
            switch largeText.patch(base, with: diff) {
            case .success(let value):
                event.body.fields[field] = .string(value)
            case .failure(let failure):
                event.body.fields[field] = nil
                failures.append("\(field): \(failure.message)")
            }
        }
        if !failures.isEmpty {
            let reason = failures.joined(separator: "; ")
            event.rereadReason = event.rereadReason.map { $0 + "; " + reason } ?? reason
        }
    }

    /// The body members that are diffs: CometD's `{"diff": "…"}` objects, and the string values
    /// of fields named in `diffFields` (or, when `diffFields` are undecoded Pub/Sub bitmaps, any
    /// string value that is a diff).
    private func diffMembers(of body: ChangeBody) -> [(field: String, diff: String)] {
        let named = Set(body.diffFields)
        let bitmaps = body.diffFields.contains(where: ChangeBody.isBitmapEntry)
        var diffs: [(String, String)] = []
        for member in body.fields {
            switch member.value {
            case .object(let object) where object.count == 1:
                if case .string(let diff)? = object["diff"] { diffs.append((member.key, diff)) }
            case .string(let text) where named.contains(member.key):
                diffs.append((member.key, text))
            case .string(let text) where bitmaps && (largeText?.isDiff(text) ?? text.hasPrefix("--- ")):
                diffs.append((member.key, text))
            default:
                continue
            }
        }
        return diffs
    }
}
