import Crypto

/// A Salesforce large-text diff: what Change Data Capture may send, instead of the full value, for
/// a changed large text field (1,000+ characters). It is a unified diff of the old and new value
/// whose `+++` header carries the SHA-256 of the full new value, in hex:
///
/// ```
/// ---␠
/// +++ 682b8747ccdb93b546e7bbe479b27d26ec7c38ccabb76cdd8308c6595492bffc
/// @@ -2,1 +2,1 @@
/// -Business applications are moving to the cloud.
/// +Business apps are moving to the cloud.
/// ```
///
/// Pub/Sub API puts this text in the field itself (and lists the field in `diffFields`); CometD
/// wraps it as `{"diff": "..."}`. Apply it to the stored value with ``apply(to:)``; when that throws,
/// or there is no stored value, re-read the record. Never store the diff as the value.
public struct LargeTextDiff: Sendable, Hashable {
    /// The SHA-256 of the full new value, as its 32 raw bytes.
    public let expectedDigest: [UInt8]
    private let hunks: [Hunk]

    /// Parses `text`; throws ``LargeTextDiffError/malformed(_:)``, saying what is wrong, when it is
    /// not a diff: a `--- ` line, a `+++ <64 hex digits>` line, then hunks whose line counts match
    /// their `@@ -a,b +c,d @@` headers, in order and not overlapping.
    public init(parsing text: String) throws(LargeTextDiffError) {
        let lines = Self.split(Array(text.utf8), on: [0x0A])
        guard let first = lines.first, Self.isMinusHeader(first[...]) else {
            throw .malformed("line 1 is not the '--- ' header")
        }
        guard lines.count > 1, lines[1].starts(with: "+++ ".utf8) else {
            throw .malformed("line 2 is not the '+++ <sha256>' header")
        }
        let token = lines[1].dropFirst(4).drop(while: Self.isSpace).prefix(while: { !Self.isSpace($0) })
        guard let digest = Self.hexBytes(token), digest.count == 32 else {
            throw .malformed("line 2 does not give the SHA-256 as 64 hex digits after '+++ '")
        }
        var hunks: [Hunk] = []
        var index = 2
        var previousEnd = 0
        while index < lines.count {
            if lines[index...].allSatisfy(\.isEmpty) { break }  // the diff's own final newline
            let headerLine = index + 1
            guard var hunk = Hunk(header: lines[index]) else {
                throw .malformed("hunk header on line \(headerLine) is not '@@ -a,b +c,d @@'")
            }
            guard hunk.oldIndex >= previousEnd else {
                throw .malformed("hunk on line \(headerLine) overlaps or precedes the one before it")
            }
            index += 1
            var old = 0, new = 0
            body: while index < lines.count {
                let line = lines[index]
                let content = Array(line.dropFirst())
                switch line.first {
                case UInt8(ascii: "\\")?:  // "\ No newline at end of file", about the line before
                    switch hunk.lines.last {
                    case .context?, .added?: hunk.newEndsWithoutNewline = true
                    case .removed?: break  // the old value's last line: the base already tells
                    case nil: throw .malformed("line \(index + 1) is a '\\' marker that follows no line")
                    }
                case _ where old == hunk.oldCount && new == hunk.newCount:
                    break body
                case UInt8(ascii: " ")?, nil:  // an empty line is taken as an empty context line
                    hunk.lines.append(.context(content)); old += 1; new += 1
                case UInt8(ascii: "-")?:
                    hunk.lines.append(.removed(content)); old += 1
                case UInt8(ascii: "+")?:
                    hunk.lines.append(.added(content)); new += 1
                default:
                    throw .malformed("line \(index + 1) starts with none of ' ', '-', '+', '\\'")
                }
                guard old <= hunk.oldCount, new <= hunk.newCount else {
                    throw .malformed("hunk on line \(headerLine) has more lines than its header counts")
                }
                index += 1
            }
            guard old == hunk.oldCount, new == hunk.newCount else {
                throw .malformed(
                    "hunk on line \(headerLine) is truncated: its header counts -\(hunk.oldCount) +\(hunk.newCount), "
                        + "its body has -\(old) +\(new)")
            }
            previousEnd = hunk.oldIndex + hunk.oldCount
            hunks.append(hunk)
        }
        self.expectedDigest = digest
        self.hunks = hunks
    }

    /// Whether `text` looks like a diff: a `---` line followed by a `+++ ` line. A cheap check of
    /// the first two lines only; ``init(parsing:)`` may still find the rest malformed.
    public static func looksLikeDiff(_ text: String) -> Bool {
        let lines = text.utf8.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count >= 2 else { return false }
        return isMinusHeader(lines[0]) && lines[1].starts(with: "+++ ".utf8)
    }

    /// Applies the hunks to `base` and checks the digest; returns the full new value.
    ///
    /// Lines are split on `\n`, keeping any `\r` as line content, and compared as UTF-8 bytes. Since
    /// Salesforce splits on its values' own line breaks, a base with CRLF line breaks is also tried
    /// split on `\r\n` (diff lines then match without their `\r`). Salesforce values carry no final
    /// line break yet its diffs no `\ No newline at end of file` marker, so the value is also tried
    /// with the final line break the markers imply flipped; the SHA-256 picks the right one.
    /// Throws ``LargeTextDiffError/contextMismatch(line:)`` when `base` lacks the lines a hunk
    /// expects, ``LargeTextDiffError/digestMismatch`` when the patched value's hash differs.
    public func apply(to base: String) throws(LargeTextDiffError) -> String {
        let bytes = Array(base.utf8)
        let crlf: [UInt8] = [0x0D, 0x0A]
        let hasCRLF = zip(bytes, bytes.dropFirst()).contains { $0 == 0x0D && $1 == 0x0A }
        let separators: [[UInt8]] = hasCRLF ? [[0x0A], crlf] : [[0x0A]]
        var firstError: LargeTextDiffError?
        for separator in separators {
            let candidates: [[UInt8]]
            do { candidates = try patched(bytes, separator: separator) } catch {
                firstError = firstError ?? error
                continue
            }
            for candidate in candidates where Array(SHA256.hash(data: candidate)) == expectedDigest {
                return String(decoding: candidate, as: UTF8.self)
            }
            firstError = .digestMismatch  // it applied: the better report of the two modes
        }
        throw firstError ?? .digestMismatch
    }

    /// The patched value, most likely first: with and without a final line break.
    private func patched(_ base: [UInt8], separator: [UInt8]) throws(LargeTextDiffError) -> [[UInt8]] {
        let splitCR = separator.count > 1
        var lines = base.isEmpty ? [] : Self.split(base, on: separator)
        var endsWithNewline = lines.last?.isEmpty == true
        if endsWithNewline { lines.removeLast() }
        var output: [[UInt8]] = []
        var position = 0
        for hunk in hunks {
            guard hunk.oldIndex >= position, hunk.oldIndex <= lines.count else {
                throw .contextMismatch(line: min(lines.count, hunk.oldIndex) + 1)
            }
            output += lines[position..<hunk.oldIndex]
            position = hunk.oldIndex
            var lastNewSide = false
            for line in hunk.lines {
                switch line {
                case .context(let text), .removed(let text):
                    let expected = splitCR && text.last == 0x0D ? Array(text.dropLast()) : text
                    guard position < lines.count, lines[position] == expected else {
                        throw .contextMismatch(line: position + 1)
                    }
                    if case .context = line { output.append(lines[position]); lastNewSide = true }
                    position += 1
                case .added(let text):
                    output.append(splitCR && text.last == 0x0D ? Array(text.dropLast()) : text)
                    lastNewSide = true
                }
            }
            if position == lines.count { endsWithNewline = !(lastNewSide && hunk.newEndsWithoutNewline) }
        }
        output += lines[position...]
        guard !output.isEmpty else { return [[]] }
        let joined = Array(output.joined(separator: separator))
        return endsWithNewline ? [joined + separator, joined] : [joined, joined + separator]
    }

    private static func isMinusHeader(_ line: some Collection<UInt8>) -> Bool {
        line.elementsEqual("---".utf8) || line.starts(with: "--- ".utf8)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }

    private static func hexBytes(_ hex: ArraySlice<UInt8>) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        let digits = hex.map(nibble)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let high = digits[pair], let low = digits[pair + 1] else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func split(_ bytes: [UInt8], on separator: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var start = 0, index = 0
        while index + separator.count <= bytes.count {
            if bytes[index..<index + separator.count].elementsEqual(separator) {
                parts.append(Array(bytes[start..<index]))
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(Array(bytes[start...]))
        return parts
    }
}

/// Why a ``LargeTextDiff`` could not be parsed or applied. Either way, re-read the record.
public enum LargeTextDiffError: Error, Sendable, Hashable {
    /// The text is not a diff; the message says what is wrong with it.
    case malformed(String)
    /// The base does not hold the lines a hunk expects, at this 1-based line of the base.
    case contextMismatch(line: Int)
    /// The patched value's SHA-256 differs from the one in the diff's header.
    case digestMismatch
}

private enum Line: Sendable, Hashable {
    case context([UInt8]), removed([UInt8]), added([UInt8])
}

private struct Hunk: Sendable, Hashable {
    var oldStart: Int, oldCount: Int, newCount: Int
    var lines: [Line] = []
    var newEndsWithoutNewline = false

    /// The 0-based index of the hunk's first base line (where it inserts, when it takes none).
    var oldIndex: Int { oldCount == 0 ? oldStart : oldStart - 1 }

    /// Reads `@@ -a[,b] +c[,d] @@[ section]`; `nil` when `line` is not that.
    init?(header line: [UInt8]) {
        var position = 0
        func take(_ literal: String) -> Bool {
            guard line[position...].starts(with: literal.utf8) else { return false }
            position += literal.utf8.count
            return true
        }
        func number() -> Int? {  // at most 9 digits, so sums cannot overflow
            let digits = line[position...].prefix { (0x30...0x39).contains($0) }
            guard (1...9).contains(digits.count) else { return nil }
            position += digits.count
            return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        func range() -> (start: Int, count: Int)? {
            guard let start = number() else { return nil }
            guard take(",") else { return (start, 1) }
            return number().map { (start, $0) }
        }
        guard take("@@ -"), let old = range(), take(" +"), let new = range(), take(" @@"),
            old.count == 0 || old.start > 0
        else { return nil }
        (oldStart, oldCount, newCount) = (old.start, old.count, new.count)
    }
}
