import EventSourcing
import JSON

/// What Tributary knows of one record: its Salesforce fields by source path, each with the
/// commit time of the change that set it.
///
/// Compound fields are kept component by component (`BillingAddress.City`), so a change to one
/// component never disturbs the others. The field mapping is not applied here: views apply it
/// when they read the state.
public struct RecordState: Sendable, Hashable {
    /// One field's value and the Salesforce commit time (epoch ms) of the change that set it.
    public struct Field: Sendable, Hashable {
        /// The value as received (`null` when cleared).
        public var value: JSONValue
        /// When the change that set it was committed.
        public var committedAt: Int64
    }

    /// Whether any change with content has been recorded for the record (a gap event alone says
    /// the record changed, not what it holds).
    public internal(set) var exists = false
    /// Whether the record is deleted (in Salesforce's recycle bin).
    public internal(set) var deleted = false
    /// The commit time of the delete or undelete that set `deleted`.
    var deletionChangedAt = Int64.min
    /// Fields by source path: `Name`, `BillingAddress.City`, `BillingCity`, …
    public internal(set) var fields: [String: Field] = [:]
    /// When the last event for the record was recorded.
    public internal(set) var updatedAt = Timestamp(millisecondsSinceEpoch: 0)
    /// The de-duplication keys of the Salesforce changes already recorded for this record.
    ///
    /// Rebuilt from the events' metadata whenever the record is recovered, so it is as durable as
    /// the journal: a re-delivered change is recognised after a restart too.
    public internal(set) var recordedChanges = ChangeKeySet()
    /// Why the record must be read again from Salesforce, and since which commit; `nil` when it
    /// need not be. Cleared by a re-read (`source: gap-fill`).
    public internal(set) var reread: RereadMark?

    /// An empty state: a record with no events.
    public init() {}

    /// The value at source path `path` (e.g. `BillingAddress.City`), `nil` when never set.
    ///
    /// A compound component never set on its own but whose compound field was cleared reads as
    /// `null`.
    public func value(at path: String) -> JSONValue? {
        if let field = fields[path] { return field.value }
        if let dot = path.utf8.firstIndex(of: UInt8(ascii: ".")), fields[String(path[..<dot])]?.value.isNull == true {
            return .null
        }
        return nil
    }
}

/// Why a record must be read again from Salesforce.
public struct RereadMark: Sendable, Hashable {
    /// What made the mirror unsure of the record: `GAP_UPDATE`, undecodable nulled fields, a
    /// large-text diff that did not apply.
    public var reason: String
    /// The commit time (epoch ms) of the change that raised the mark.
    public var commitTimestamp: Int64
    /// Whether the mark comes from a gap event: until the re-read, changes committed before it
    /// are ignored, since the change Salesforce could not send may have been newer than them.
    public var isGap: Bool
}

extension RecordState {
    /// Folds `event` in. Order-insensitive: each field keeps the value of the latest commit
    /// whatever order events arrive in; equal commit times fall back to journal order.
    ///
    /// Two exceptions, both cleared by a re-read: a gap event marks the record, and until a
    /// re-read (`source: gap-fill`) arrives, changes committed before the gap are recorded but
    /// change nothing.
    ///
    /// - Parameter keepingChangeKeys: whether to remember the event's de-duplication key. Only
    ///   the aggregate decides on duplicates; read models leave it off and save the memory.
    mutating func apply(_ event: RecordEvent, at position: EventPosition, keepingChangeKeys: Bool = true) {
        let time = event.facts.commitTimestamp ?? position.recordedAt.millisecondsSinceEpoch
        if event.kind != .gapReported { exists = true }
        if keepingChangeKeys, let key = ChangeKey(event.facts) { recordedChanges.insert(key) }
        if position.recordedAt > updatedAt { updatedAt = position.recordedAt }
        // A re-read clears the mark, unless it is older than the gap that raised it (a newer gap
        // came after the read): then it is held back like any older change.
        if event.facts.source == .gapFill, reread.map({ !$0.isGap || time >= $0.commitTimestamp }) ?? true {
            reread = nil
        } else if let mark = reread, mark.isGap, time < mark.commitTimestamp, event.kind != .gapReported {
            return
        }
        if let reason = event.rereadReason {
            let isGap = event.kind == .gapReported
            if let mark = reread, mark.isGap, !isGap || mark.commitTimestamp > time {
                // Keep the gap mark: it is stronger, or newer.
            } else {
                reread = RereadMark(reason: reason, commitTimestamp: time, isGap: isGap)
            }
        }
        switch event.kind {
        case .deleted:
            if time >= deletionChangedAt {
                deleted = true
                deletionChangedAt = time
            }
        case .undeleted:
            if time >= deletionChangedAt {
                deleted = false
                deletionChangedAt = time
            }
            applyFields(event.body, time: time, changedOnly: false)
        case .created:
            applyFields(event.body, time: time, changedOnly: false)
        case .updated:
            applyFields(event.body, time: time, changedOnly: true)
        case .gapReported:
            break
        }
    }

    private mutating func applyFields(_ body: ChangeBody, time: Int64, changedOnly: Bool) {
        let selection = ChangedFieldSelection(body: body, changedOnly: changedOnly)
        // A first change sets about as many fields as it has members: room for them at once.
        if fields.isEmpty { fields.reserveCapacity(body.fields.count) }
        for member in body.fields {
            if case .object(let components) = member.value {
                // A CometD large-text diff (`{"diff": …}`) is never a value: `decide` replaces
                // it by the patched text, or drops it, before the event is recorded.
                if components.count == 1, components["diff"] != nil { continue }
                for component in components {
                    let path = member.key + "." + component.key
                    if selection.includes(path: path, topLevel: member.key, value: component.value) {
                        set(path, component.value, time: time)
                    }
                }
            } else if selection.includes(path: member.key, topLevel: member.key, value: member.value) {
                set(member.key, member.value, time: time)
            } else if member.value.isNull {
                for component in selection.namedComponents(ofNulledCompound: member.key) {
                    set(component, .null, time: time)
                }
            }
        }
        for name in selection.nulledNames where body.fields[name] == nil {
            set(name, .null, time: time)
        }
    }

    /// Sets one field or component unless a newer commit already set it.
    ///
    /// A compound field set to `null` clears each of its components; a component older than the
    /// clearing of its compound field stays cleared.
    private mutating func set(_ path: String, _ value: JSONValue, time: Int64) {
        let dot = path.utf8.firstIndex(of: UInt8(ascii: "."))
        if let dot, let parent = fields[String(path[..<dot])], parent.value.isNull, parent.committedAt > time {
            return
        }
        // One lookup finds the field or makes room for it (a field never set reads as older
        // than any change): hashing the path to read it and again to write it made `set` 11% of
        // a full replay's CPU (6% now).
        func update(_ field: inout Field) -> Bool {
            guard field.committedAt <= time else { return false }
            field = Field(value: value, committedAt: time)
            return true
        }
        guard update(&fields[path, default: Field(value: .null, committedAt: .min)]) else { return }
        if value.isNull, dot == nil {
            let prefix = path + "."
            for component in fields.keys where component.hasPrefix(prefix) {
                set(component, .null, time: time)
            }
        }
    }
}

/// Which members of an UPDATE body are changes, per the header's field lists.
///
/// - No `changedFields` (a bare payload from a service, an API upsert): every member present is a
///   change, `null` clears.
/// - `changedFields` as names (CometD, AppFlow): only the members named (or whose compound
///   parent is named) in `changedFields` or `nulledFields` are changes; other members are
///   enrichment and never overwrite.
/// - `changedFields` as Pub/Sub bitmaps that were not decoded: unchanged fields arrive as `null`
///   too, so only non-null members are taken as changes.
struct ChangedFieldSelection {
    private enum Mode { case all, named(FieldNames, compoundParents: FieldNames), nonNullOnly }
    private let mode: Mode
    /// Field names from `nulledFields` (when given as names).
    let nulledNames: [String]

    init(body: ChangeBody, changedOnly: Bool) {
        let isBitmap = ChangeBody.isBitmapEntry
        let nulled = body.nulledFields.contains(where: isBitmap) ? [] : body.nulledFields
        nulledNames = changedOnly ? nulled : []
        if !changedOnly || body.changedFields.isEmpty && body.nulledFields.isEmpty {
            mode = .all
        } else if body.changedFields.contains(where: isBitmap) || body.nulledFields.contains(where: isBitmap) {
            mode = .nonNullOnly
        } else {
            let names = body.changedFields + nulled
            let parents = names.compactMap { name in
                name.utf8.firstIndex(of: UInt8(ascii: ".")).map { String(name[..<$0]) }
            }
            mode = .named(FieldNames(names), compoundParents: FieldNames(parents))
        }
    }

    /// Whether the member at `path` (a top-level field or a compound component under
    /// `topLevel`) is a change.
    func includes(path: String, topLevel: String, value: JSONValue) -> Bool {
        switch mode {
        case .all: true
        case .nonNullOnly: !value.isNull
        case .named(let names, _): names.contains(path) || names.contains(topLevel)
        }
    }

    /// For a compound field sent whole as `null` although only some of its components are named
    /// as changed: those components, which it clears. Unnamed components are left alone.
    func namedComponents(ofNulledCompound key: String) -> [String] {
        guard case .named(let names, let parents) = mode, parents.contains(key), !names.contains(key) else { return [] }
        let prefix = key + "."
        return Set(names.all.filter { $0.hasPrefix(prefix) }).sorted()
    }
}

/// Field names looked up by an UPDATE's field selection: searched in place while few (an UPDATE
/// usually names a handful), hashed when many. Building a `Set` for every change folded cost
/// 4% of a full replay.
private struct FieldNames {
    /// The names, possibly repeated.
    let all: [String]
    private let hashed: Set<String>?

    /// Past this many names a lookup hashes instead of comparing each.
    private static let scanLimit = 16

    init(_ names: [String]) {
        all = names
        hashed = names.count > Self.scanLimit ? Set(names) : nil
    }

    func contains(_ name: String) -> Bool {
        if let hashed { return hashed.contains(name) }
        return all.contains(name)
    }
}
