extension MappingSet {
    /// The built-in mappings used when no mapping file is given.
    public static let defaults = MappingSet([.defaultClient])
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
        ]
    )
}
