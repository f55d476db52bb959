import Foundation

/// The part of SOQL the simulated org understands: what backfills and re-reads send.
///
/// ```
/// SELECT field, … FROM Object [WHERE condition] [ORDER BY field [ASC|DESC], …] [LIMIT n]
/// condition: term (OR term)*; term: factor (AND factor)*;
/// factor: ( condition ) | field op value | field IN ( value, … )
/// op: = != < <= > >=; value: 'text', 2026-01-01T00:00:00Z, number, true, false, null
/// ```
struct SOQLQuery: Sendable {
    indirect enum Condition: Sendable {
        case and(Condition, Condition)
        case or(Condition, Condition)
        case compare(field: String, op: String, value: SOQLValue)
        case within(field: String, values: [SOQLValue])
    }

    var fields: [String]
    var object: String
    var condition: Condition?
    var order: [(field: String, ascending: Bool)]
    var limit: Int?

    /// Parses `text`, or throws a message like Salesforce's `MALFORMED_QUERY`.
    init(_ text: String) throws(SOQLError) {
        var tokens = try SOQLTokens(text)
        try tokens.expectKeyword("SELECT")
        fields = [try tokens.identifier()]
        while tokens.take(",") { fields.append(try tokens.identifier()) }
        try tokens.expectKeyword("FROM")
        object = try tokens.identifier()
        condition = nil
        order = []
        limit = nil
        if tokens.takeKeyword("WHERE") { condition = try Self.parseOr(&tokens) }
        if tokens.takeKeyword("ORDER") {
            try tokens.expectKeyword("BY")
            repeat {
                let field = try tokens.identifier()
                var ascending = true
                if tokens.takeKeyword("DESC") { ascending = false } else { _ = tokens.takeKeyword("ASC") }
                order.append((field, ascending))
            } while tokens.take(",")
        }
        if tokens.takeKeyword("LIMIT") {
            guard case .number(let value) = try tokens.value(), value >= 0 else { throw SOQLError("LIMIT needs a number") }
            limit = Int(value)
        }
        guard tokens.atEnd else { throw SOQLError("unexpected token '\(tokens.peek ?? "")'") }
    }

    private static func parseOr(_ tokens: inout SOQLTokens) throws(SOQLError) -> Condition {
        var condition = try parseAnd(&tokens)
        while tokens.takeKeyword("OR") { condition = .or(condition, try parseAnd(&tokens)) }
        return condition
    }

    private static func parseAnd(_ tokens: inout SOQLTokens) throws(SOQLError) -> Condition {
        var condition = try parseFactor(&tokens)
        while tokens.takeKeyword("AND") { condition = .and(condition, try parseFactor(&tokens)) }
        return condition
    }

    private static func parseFactor(_ tokens: inout SOQLTokens) throws(SOQLError) -> Condition {
        if tokens.take("(") {
            let condition = try parseOr(&tokens)
            guard tokens.take(")") else { throw SOQLError("missing )") }
            return condition
        }
        let field = try tokens.identifier()
        if tokens.takeKeyword("IN") {
            guard tokens.take("(") else { throw SOQLError("IN needs a list") }
            var values = [try tokens.value()]
            while tokens.take(",") { values.append(try tokens.value()) }
            guard tokens.take(")") else { throw SOQLError("missing ) after IN list") }
            return .within(field: field, values: values)
        }
        for op in ["=", "!=", "<=", ">=", "<", ">"] where tokens.take(op) {
            return .compare(field: field, op: op, value: try tokens.value())
        }
        throw SOQLError("expected an operator after \(field)")
    }
}

/// A literal in a SOQL condition, or a field's value being compared.
enum SOQLValue: Sendable, Hashable {
    case text(String)
    case number(Double)
    case bool(Bool)
    case time(Int64)
    case null

    /// Orders two values of the same kind; `nil` when they do not compare.
    func compare(to other: SOQLValue) -> Int? {
        switch (self, other) {
        case (.text(let a), .text(let b)): a == b ? 0 : (a < b ? -1 : 1)
        case (.number(let a), .number(let b)): a == b ? 0 : (a < b ? -1 : 1)
        case (.time(let a), .time(let b)): a == b ? 0 : (a < b ? -1 : 1)
        case (.bool(let a), .bool(let b)): a == b ? 0 : 1
        case (.null, .null): 0
        default: nil
        }
    }
}

/// A query the org cannot run.
struct SOQLError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Splits SOQL into tokens.
struct SOQLTokens {
    private var tokens: [String]
    private var index = 0

    init(_ text: String) throws(SOQLError) {
        tokens = []
        let characters = Array(text)
        var position = 0
        while position < characters.count {
            let character = characters[position]
            if character.isWhitespace {
                position += 1
            } else if character == "'" {
                var literal = "'"
                position += 1
                while position < characters.count, characters[position] != "'" {
                    if characters[position] == "\\", position + 1 < characters.count { position += 1 }
                    literal.append(characters[position])
                    position += 1
                }
                guard position < characters.count else { throw SOQLError("unterminated string") }
                position += 1
                tokens.append(literal + "'")
            } else if "(),".contains(character) {
                tokens.append(String(character))
                position += 1
            } else if "=<>!".contains(character) {
                var op = String(character)
                if position + 1 < characters.count, characters[position + 1] == "=" {
                    op.append("=")
                    position += 1
                }
                tokens.append(op)
                position += 1
            } else {
                var word = ""
                while position < characters.count, !characters[position].isWhitespace, !"(),=<>!'".contains(characters[position]) {
                    word.append(characters[position])
                    position += 1
                }
                tokens.append(word)
            }
        }
    }

    var atEnd: Bool { index == tokens.count }
    var peek: String? { index < tokens.count ? tokens[index] : nil }

    mutating func take(_ token: String) -> Bool {
        guard peek == token else { return false }
        index += 1
        return true
    }

    mutating func takeKeyword(_ keyword: String) -> Bool {
        guard let next = peek, next.uppercased() == keyword else { return false }
        index += 1
        return true
    }

    mutating func expectKeyword(_ keyword: String) throws(SOQLError) {
        guard takeKeyword(keyword) else { throw SOQLError("expected \(keyword)") }
    }

    mutating func identifier() throws(SOQLError) -> String {
        guard let next = peek, let first = next.first, first.isLetter || first == "_" else {
            throw SOQLError("expected a name, found '\(peek ?? "the end")'")
        }
        index += 1
        return next
    }

    mutating func value() throws(SOQLError) -> SOQLValue {
        guard let next = peek else { throw SOQLError("expected a value") }
        index += 1
        if next.hasPrefix("'") { return .text(String(next.dropFirst().dropLast())) }
        switch next.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        if let time = OrgTime.parse(next) { return .time(time) }
        if let number = Double(next) { return .number(number) }
        throw SOQLError("'\(next)' is not a value")
    }
}

/// Salesforce date-times: `2026-01-01T00:00:00.000+0000` in records, `2026-01-01T00:00:00Z` in
/// SOQL literals.
enum OrgTime {
    /// The record form of epoch milliseconds `millis`.
    static func format(_ millis: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000",
            parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!, Int(millis % 1000)
        )
    }

    /// Epoch milliseconds of a date-time in either form, or `nil`.
    static func parse(_ text: String) -> Int64? {
        guard text.count >= 20, text.dropFirst(10).first == "T" else { return nil }
        var normalized = text
        if normalized.hasSuffix("+0000") { normalized = String(normalized.dropLast(5)) + "Z" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = normalized.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        guard let date = formatter.date(from: normalized) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
