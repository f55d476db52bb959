extension MappingSet {
    /// The built-in mappings, used for every record type a mapping file does not name.
    public static let defaults = MappingSet([
        .defaultClient, .defaultPlatform, .defaultContract, .defaultDeal, .defaultService, .defaultSubservice,
    ])
}

extension EntityMapping {
    /// Account → client.
    public static let defaultClient = EntityMapping(
        recordType: .clients,
        objectName: "Account",
        fields: [
            FieldMapping("name", from: ["Name"]),
            FieldMapping("industry", from: ["Industry"]),
            FieldMapping("website", from: ["Website"]),
            FieldMapping("phone", from: ["Phone"]),
            FieldMapping("billingCity", from: ["BillingAddress.City", "BillingCity"]),
            FieldMapping("ownerId", from: ["OwnerId"]),
            FieldMapping("type", from: ["Type"]),
            FieldMapping("annualRevenue", from: ["AnnualRevenue"], type: .decimal),
            FieldMapping("employees", from: ["NumberOfEmployees"], type: .integer),
            FieldMapping("billingCountry", from: ["BillingAddress.Country", "BillingCountry"]),
            FieldMapping("lastModifiedAt", from: ["LastModifiedDate"], type: .datetime),
        ]
    )

    /// Platform__c → platform.
    public static let defaultPlatform = EntityMapping(
        recordType: .platforms,
        objectName: "Platform__c",
        fields: [
            FieldMapping("name", from: ["Name"]),
            FieldMapping("clientId", from: ["Client__c"], type: .reference(.clients)),
            FieldMapping(
                "status",
                from: ["Status__c"],
                type: .picklist(values: ["Active": "active", "Inactive": "inactive", "Planned": "planned"], strict: false)
            ),
            FieldMapping("environment", from: ["Environment__c"], transforms: [.trim, .lowercase]),
            FieldMapping("launchDate", from: ["LaunchDate__c"], type: .date),
            FieldMapping("ownerId", from: ["OwnerId"]),
        ]
    )

    /// Contract → contract.
    public static let defaultContract = EntityMapping(
        recordType: .contracts,
        objectName: "Contract",
        fields: [
            FieldMapping("contractNumber", from: ["ContractNumber"]),
            FieldMapping("clientId", from: ["AccountId"], type: .reference(.clients)),
            FieldMapping(
                "status",
                from: ["Status"],
                type: .picklist(values: ["Draft": "draft", "In Approval Process": "inApproval", "Activated": "activated"], strict: false)
            ),
            FieldMapping("startDate", from: ["StartDate"], type: .date),
            FieldMapping("endDate", from: ["EndDate"], type: .date),
            FieldMapping("termMonths", from: ["ContractTerm"], type: .integer),
            FieldMapping("value", from: ["Contract_Value__c"], type: .decimal),
            FieldMapping("ownerId", from: ["OwnerId"]),
        ]
    )

    /// Opportunity → deal.
    public static let defaultDeal = EntityMapping(
        recordType: .deals,
        objectName: "Opportunity",
        fields: [
            FieldMapping("name", from: ["Name"]),
            FieldMapping("clientId", from: ["AccountId"], type: .reference(.clients)),
            FieldMapping(
                "stage",
                from: ["StageName"],
                type: .picklist(
                    values: [
                        "Prospecting": "prospecting", "Qualification": "qualification", "Needs Analysis": "needsAnalysis",
                        "Value Proposition": "valueProposition", "Proposal/Price Quote": "proposal",
                        "Negotiation/Review": "negotiation", "Closed Won": "won", "Closed Lost": "lost",
                    ],
                    strict: false
                )
            ),
            FieldMapping("amount", from: ["Amount"], type: .decimal),
            FieldMapping("probability", from: ["Probability"], type: .decimal),
            FieldMapping("closeDate", from: ["CloseDate"], type: .date),
            FieldMapping("closed", from: ["IsClosed"], type: .boolean, defaultValue: false),
            FieldMapping("won", from: ["IsWon"], type: .boolean, defaultValue: false),
            FieldMapping("ownerId", from: ["OwnerId"]),
        ]
    )

    /// Service__c → service.
    public static let defaultService = EntityMapping(
        recordType: .services,
        objectName: "Service__c",
        fields: [
            FieldMapping("name", from: ["Name"]),
            FieldMapping("contractId", from: ["Contract__c"], type: .reference(.contracts)),
            FieldMapping("clientId", from: ["Client__c"], type: .reference(.clients)),
            FieldMapping(
                "status",
                from: ["Status__c"],
                type: .picklist(values: ["Active": "active", "Suspended": "suspended", "Cancelled": "cancelled"], strict: false)
            ),
            FieldMapping("monthlyFee", from: ["Monthly_Fee__c"], type: .decimal),
            FieldMapping("startDate", from: ["Start_Date__c"], type: .date),
        ]
    )

    /// Subservice__c → subservice.
    public static let defaultSubservice = EntityMapping(
        recordType: .subservices,
        objectName: "Subservice__c",
        fields: [
            FieldMapping("name", from: ["Name"]),
            FieldMapping("serviceId", from: ["Service__c"], type: .reference(.services)),
            FieldMapping(
                "status",
                from: ["Status__c"],
                type: .picklist(values: ["Active": "active", "Suspended": "suspended", "Cancelled": "cancelled"], strict: false)
            ),
            FieldMapping("quantity", from: ["Quantity__c"], type: .integer),
            FieldMapping("unitPrice", from: ["Unit_Price__c"], type: .decimal),
        ]
    )
}
