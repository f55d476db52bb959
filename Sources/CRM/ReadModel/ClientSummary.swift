import Foundation
import JSON

/// A client with every record related to it, joined through the mapped reference fields.
///
/// Joined at query time from each type's reference index, so it is complete whatever order the
/// related records arrived in: a subservice that came before its service appears as soon as the
/// service (and its link to a contract or the client) is known. Deleted records are left out.
public struct ClientSummary: Sendable {
    /// The client.
    public var client: RecordView
    /// Platforms whose `clientId` is the client.
    public var platforms: [RecordView]
    /// Contracts whose `clientId` is the client.
    public var contracts: [RecordView]
    /// Deals whose `clientId` is the client.
    public var deals: [RecordView]
    /// Services of the client (by `clientId`) or of its contracts (by `contractId`), each with
    /// its subservices (by `serviceId`).
    public var services: [(service: RecordView, subservices: [RecordView])]
    /// Whether deals map an `amount` and contracts a `value`, the fields the totals sum.
    var sums: (dealAmount: Bool, contractValue: Bool)

    /// Builds the summary of client `id`; `nil` when the client is unknown.
    public static func build(id: String, from readModels: ReadModels) async throws -> ClientSummary? {
        guard let clients = readModels.projection(.clients), let client = try await clients.view(id: id) else { return nil }
        let platforms = try await readModels.projection(.platforms)?.records(referencing: id, through: "clientId") ?? []
        let contracts = try await readModels.projection(.contracts)?.records(referencing: id, through: "clientId") ?? []
        let deals = try await readModels.projection(.deals)?.records(referencing: id, through: "clientId") ?? []
        var services: [String: RecordView] = [:]
        if let serviceProjection = readModels.projection(.services) {
            for service in try await serviceProjection.records(referencing: id, through: "clientId") {
                services[service.id] = service
            }
            for contract in contracts {
                for service in try await serviceProjection.records(referencing: contract.id, through: "contractId") {
                    services[service.id] = service
                }
            }
        }
        var withSubservices: [(service: RecordView, subservices: [RecordView])] = []
        let subserviceProjection = readModels.projection(.subservices)
        for service in services.values.sorted(by: { $0.id < $1.id }) {
            let subservices = try await subserviceProjection?.records(referencing: service.id, through: "serviceId") ?? []
            withSubservices.append((service, subservices))
        }
        return ClientSummary(
            client: client,
            platforms: platforms,
            contracts: contracts,
            deals: deals,
            services: withSubservices,
            sums: (
                readModels.projection(.deals)?.mapping.field(named: "amount") != nil,
                readModels.projection(.contracts)?.mapping.field(named: "value") != nil
            )
        )
    }

    /// The JSON form of `GET /v1/clients/{id}/summary`.
    public var json: JSONValue {
        let subserviceCount = services.reduce(0) { $0 + $1.subservices.count }
        var totals: JSONObject = [
            "platforms": .number(JSONNumber(platforms.count)),
            "contracts": .number(JSONNumber(contracts.count)),
            "deals": .number(JSONNumber(deals.count)),
            "services": .number(JSONNumber(services.count)),
            "subservices": .number(JSONNumber(subserviceCount)),
        ]
        if sums.dealAmount { totals["dealAmount"] = ClientSummary.sum(deals, field: "amount") }
        if sums.contractValue { totals["contractValue"] = ClientSummary.sum(contracts, field: "value") }
        return [
            "client": client.json,
            "platforms": .array(platforms.map(\.json)),
            "contracts": .array(contracts.map(\.json)),
            "deals": .array(deals.map(\.json)),
            "services": .array(services.map { entry in
                var object = entry.service.json.objectValue ?? [:]
                object["subservices"] = .array(entry.subservices.map(\.json))
                return .object(object)
            }),
            "totals": .object(totals),
        ]
    }

    /// The exact decimal sum of the numeric values of `field` over `views` (null values count 0).
    static func sum(_ views: [RecordView], field: String) -> JSONValue {
        var total = Decimal(0)
        for view in views {
            if case .number(let number)? = view.fields[field],
                let amount = Decimal(string: number.text, locale: Locale(identifier: "en_US_POSIX"))
            {
                total += amount
            }
        }
        return JSONNumber(text: "\(total)").map(JSONValue.number) ?? .null
    }
}
