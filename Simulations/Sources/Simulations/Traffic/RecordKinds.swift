/// A value the simulation puts in a Salesforce field, and what Tributary's built-in mapping
/// should show for it.
public struct FieldValue: Sendable, Equatable {
    /// The JSON text sent.
    var json: String
    /// The domain value expected in the view, as a JSON-comparable value.
    var expected: Expected

    /// A domain value a view should show.
    public enum Expected: Sendable, Equatable {
        case string(String)
        case number(Double)
        case null
    }

    static func string(_ text: String, expected: String? = nil) -> FieldValue {
        FieldValue(json: "\"\(text)\"", expected: .string(expected ?? text))
    }

    static func number(_ value: Double, text: String) -> FieldValue {
        FieldValue(json: text, expected: .number(value))
    }

    static let null = FieldValue(json: "null", expected: .null)
}

/// One mapped Salesforce field: its source name (a compound component as `BillingAddress.City`),
/// the domain field the built-in mapping shows it as, and how to make a value.
struct FieldSpec: Sendable {
    var source: String
    var domain: String
    /// A value from a random number (and, for references, the id of a related record).
    var make: @Sendable (_ random: UInt64, _ related: String?) -> FieldValue
    /// The record kind a reference field points at, by index in ``RecordKind/all``.
    var references: Int?
    /// Whether an update may clear it.
    var nullable = true
}

/// One of the six record types as the simulation generates them.
struct RecordKind: Sendable {
    var aggregate: String
    var object: String
    var keyPrefix: String
    var fields: [FieldSpec]

    static let clients = 0

    private static let companies = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne", "Hooli"]
    private static let industries = ["Energy", "Banking", "Retail", "Technology", "Healthcare", "Manufacturing"]
    private static let cities = ["San Francisco", "New York", "London", "Paris", "Tokyo", "Sydney", "Berlin", "Toronto"]
    private static let statuses = [("Active", "active"), ("Suspended", "suspended"), ("Cancelled", "cancelled")]

    private static func pick<T>(_ list: [T], _ random: UInt64) -> T { list[Int(random % UInt64(list.count))] }

    private static func name(_ random: UInt64) -> FieldValue {
        .string("\(pick(companies, random)) \(random % 100_000)")
    }

    private static func money(_ random: UInt64) -> FieldValue {
        let cents = Int(random % 10_000_000)
        return .number(Double(cents) / 100, text: "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)")
    }

    private static func integer(_ random: UInt64, below: UInt64) -> FieldValue {
        let value = random % below
        return .number(Double(value), text: "\(value)")
    }

    private static func date(_ random: UInt64) -> FieldValue {
        let month = 1 + random % 12
        let day = 1 + (random / 12) % 28
        return .string("2026-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)")
    }

    private static func reference(_ random: UInt64, _ related: String?) -> FieldValue {
        related.map { .string($0) } ?? .null
    }

    private static func status(_ random: UInt64) -> FieldValue {
        let (source, domain) = pick(statuses, random)
        return .string(source, expected: domain)
    }

    /// The six kinds, in the order of the built-in mappings.
    static let all: [RecordKind] = [
        RecordKind(
            aggregate: "clients", object: "Account", keyPrefix: "001",
            fields: [
                FieldSpec(source: "Name", domain: "name", make: { r, _ in name(r) }, nullable: false),
                FieldSpec(source: "Industry", domain: "industry", make: { r, _ in .string(pick(industries, r)) }),
                FieldSpec(source: "Phone", domain: "phone", make: { r, _ in .string("+1 415 555 \(1000 + r % 9000)") }),
                FieldSpec(source: "Website", domain: "website", make: { r, _ in .string("www.example\(r % 1000).com") }),
                FieldSpec(source: "BillingAddress.City", domain: "billingCity", make: { r, _ in .string(pick(cities, r)) }),
                FieldSpec(source: "NumberOfEmployees", domain: "employees", make: { r, _ in integer(r, below: 100_000) }),
            ]
        ),
        RecordKind(
            aggregate: "platforms", object: "Platform__c", keyPrefix: "a0P",
            fields: [
                FieldSpec(source: "Name", domain: "name", make: { r, _ in .string("Platform \(r % 100_000)") }, nullable: false),
                FieldSpec(source: "Client__c", domain: "clientId", make: reference, references: 0),
                FieldSpec(
                    source: "Environment__c", domain: "environment",
                    make: { r, _ in let env = pick(["Production", "Staging", "Sandbox"], r); return .string(" \(env) ", expected: env.lowercased()) }
                ),
            ]
        ),
        RecordKind(
            aggregate: "contracts", object: "Contract", keyPrefix: "800",
            fields: [
                FieldSpec(source: "ContractNumber", domain: "contractNumber", make: { r, _ in .string(String(100_000 + r % 900_000)) }, nullable: false),
                FieldSpec(source: "AccountId", domain: "clientId", make: reference, references: 0),
                FieldSpec(source: "ContractTerm", domain: "termMonths", make: { r, _ in integer(r, below: 60) }),
                FieldSpec(source: "Contract_Value__c", domain: "value", make: { r, _ in money(r) }),
                FieldSpec(source: "StartDate", domain: "startDate", make: { r, _ in date(r) }),
            ]
        ),
        RecordKind(
            aggregate: "deals", object: "Opportunity", keyPrefix: "006",
            fields: [
                FieldSpec(source: "Name", domain: "name", make: { r, _ in .string("Renewal \(r % 100_000)") }, nullable: false),
                FieldSpec(source: "AccountId", domain: "clientId", make: reference, references: 0),
                FieldSpec(
                    source: "StageName", domain: "stage",
                    make: { r, _ in
                        let (source, domain) = pick([("Prospecting", "prospecting"), ("Negotiation/Review", "negotiation"), ("Closed Won", "won")], r)
                        return .string(source, expected: domain)
                    }
                ),
                FieldSpec(source: "Amount", domain: "amount", make: { r, _ in money(r) }),
                FieldSpec(source: "CloseDate", domain: "closeDate", make: { r, _ in date(r) }),
            ]
        ),
        RecordKind(
            aggregate: "services", object: "Service__c", keyPrefix: "a0S",
            fields: [
                FieldSpec(source: "Name", domain: "name", make: { r, _ in .string("Service \(r % 100_000)") }, nullable: false),
                FieldSpec(source: "Client__c", domain: "clientId", make: reference, references: 0),
                FieldSpec(source: "Status__c", domain: "status", make: { r, _ in status(r) }),
                FieldSpec(source: "Monthly_Fee__c", domain: "monthlyFee", make: { r, _ in money(r) }),
            ]
        ),
        RecordKind(
            aggregate: "subservices", object: "Subservice__c", keyPrefix: "a0T",
            fields: [
                FieldSpec(source: "Name", domain: "name", make: { r, _ in .string("Subservice \(r % 100_000)") }, nullable: false),
                FieldSpec(source: "Status__c", domain: "status", make: { r, _ in status(r) }),
                FieldSpec(source: "Quantity__c", domain: "quantity", make: { r, _ in integer(r, below: 500) }),
                FieldSpec(source: "Unit_Price__c", domain: "unitPrice", make: { r, _ in money(r) }),
            ]
        ),
    ]
}
