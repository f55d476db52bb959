import CRM
import EventSourcing
import HTTPTypes
import Hummingbird
import Ingestion
import JSON
import Salesforce

/// `POST /v1/commands/{aggregate}/{id}`: upsert, delete or undelete a record on behalf of
/// another service.
struct CommandRoutes {
    let tributary: Tributary

    func register(on router: Router<TributaryRequestContext>) {
        router.post("/v1/commands/:aggregate/:id") { request, context in
            var request = request
            let projection = try tributary.projection(named: try context.parameters.require("aggregate"))
            let rawID = try context.parameters.require("id")
            guard let id = SalesforceID.normalize(rawID) else {
                throw Problem(.unprocessableContent, detail: "'\(rawID)' is not a Salesforce record id (15 or 18 letters and digits)")
            }
            let command = try Self.command(from: try await request.jsonBody(limit: tributary.configuration.maxBodySize))
            let key = request.headers[.idempotencyKey]
            if let key, key.isEmpty || key.utf8.count > 255 {
                throw Problem(.unprocessableContent, detail: "Idempotency-Key must be 1 to 255 characters")
            }
            do throws(RegistryError<RecordRejection>) {
                let answer = try await tributary.commands.handle(command, on: projection.recordType, id: id, idempotencyKey: key, requestID: context.requestID)
                return Response.json([
                    "position": .number(JSONNumber(answer.position)),
                    "version": .number(JSONNumber(answer.version)),
                    "outcome": .string(answer.outcome),
                ])
            } catch {
                throw Self.problem(for: error, type: projection.recordType, id: id)
            }
        }
    }

    private static func command(from body: JSONValue) throws(Problem) -> ServiceCommandHandler.Command {
        guard case .object(let object) = body else {
            throw Problem(.unprocessableContent, detail: "expected an object with command, fields and expectedVersion")
        }
        var errors: [Problem.Item] = []
        let operation: RecordOperation?
        switch object["command"]?.stringValue {
        case "upsert": operation = .upsert
        case "delete": operation = .delete
        case "undelete": operation = .undelete
        default:
            operation = nil
            errors.append(Problem.Item(field: "command", message: "must be \"upsert\", \"delete\" or \"undelete\""))
        }
        var fields = JSONObject()
        switch object["fields"] {
        case .object(let given)?: fields = given
        case nil where operation != .upsert: break
        default: errors.append(Problem.Item(field: "fields", message: "must be an object of Salesforce field names and values"))
        }
        if operation == .upsert, fields.isEmpty, object["fields"] != nil {
            errors.append(Problem.Item(field: "fields", message: "an upsert needs at least one field"))
        }
        var expectedVersion: UInt64?
        if let value = object["expectedVersion"], !value.isNull {
            if let version = value.int64Value, version >= 0 {
                expectedVersion = UInt64(version)
            } else {
                errors.append(Problem.Item(field: "expectedVersion", message: "must be a whole number ≥ 0, not \(value.jsonString)"))
            }
        }
        guard errors.isEmpty, let operation else {
            throw Problem(.unprocessableContent, detail: "the command is invalid; nothing was written", errors: errors)
        }
        return ServiceCommandHandler.Command(operation: operation, fields: fields, expectedVersion: expectedVersion)
    }

    private static func problem(for error: RegistryError<RecordRejection>, type: RecordType, id: String) -> Problem {
        switch error {
        case .command(.versionConflict(let expected, let actual)):
            Problem(
                .conflict,
                detail: "\(type.rawValue) \(id) is at version \(actual), not the expected \(expected); nothing was written",
                extensions: ["currentVersion": .number(JSONNumber(actual))]
            )
        case .command(.rejected(.recordNotFound)):
            Problem(.notFound, detail: "no \(type.rawValue) record \(id) to delete or undelete")
        case .unknownCategory(let category):
            Problem(.notFound, detail: "unknown aggregate '\(category)'")
        case .command(.journal(let journalError)):
            Problem.unavailable("the journal could not take the command (\(journalError)); retry it")
        case .command(.recovery(let decodingError)):
            Problem.unavailable("the record's history could not be read (\(decodingError))")
        }
    }
}

extension HTTPField.Name {
    /// `Idempotency-Key`.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
