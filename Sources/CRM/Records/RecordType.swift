/// The six kinds of CRM record Tributary mirrors, each an aggregate backed by a Salesforce object.
///
/// The raw value is the name used in URLs and stream names (`clients/001…`). Which Salesforce
/// object feeds each type is configuration (`EntityMapping.objectName`), not this enum.
public enum RecordType: String, Sendable, Hashable, CaseIterable, Codable {
    case clients
    case platforms
    case contracts
    case deals
    case services
    case subservices

    /// The prefix of this type's stored event names, e.g. `Client` in `ClientCreated`.
    public var eventPrefix: String {
        switch self {
        case .clients: "Client"
        case .platforms: "Platform"
        case .contracts: "Contract"
        case .deals: "Deal"
        case .services: "Service"
        case .subservices: "Subservice"
        }
    }

    /// The Salesforce object that feeds this type unless a mapping says otherwise.
    public var defaultObjectName: String {
        switch self {
        case .clients: "Account"
        case .platforms: "Platform__c"
        case .contracts: "Contract"
        case .deals: "Opportunity"
        case .services: "Service__c"
        case .subservices: "Subservice__c"
        }
    }
}
