import CRM
import Salesforce

/// Large-text diffs as Salesforce sends them, applied with ``LargeTextDiff``: the patcher the
/// server gives every ``SalesforceRecord``.
public struct SalesforceLargeText: LargeTextPatching {
    /// The patcher.
    public init() {}

    public func isDiff(_ value: String) -> Bool {
        LargeTextDiff.looksLikeDiff(value)
    }

    public func patch(_ base: String, with diff: String) -> Result<String, LargeTextPatchFailure> {
        do throws(LargeTextDiffError) {
            return .success(try LargeTextDiff(parsing: diff).apply(to: base))
        } catch {
            let message =
                switch error {
                case .malformed(let detail): "the diff is malformed: \(detail)"
                case .contextMismatch(let line): "the diff does not fit the stored text at line \(line)"
                case .digestMismatch: "the patched text does not match the diff's SHA-256"
                }
            return .failure(LargeTextPatchFailure(message: message))
        }
    }
}
