import CRM
import Foundation
import HTTPTypes
import Hummingbird
import JSON

/// `POST /v1/admin/projections/rebuild`, `GET /v1/admin/projections/rebuild/{job}` and
/// `POST /v1/admin/snapshot`.
struct AdminRoutes {
    let tributary: Tributary
    let runner: RebuildRunner

    func register(on router: Router<some RequestContext>) {
        router.post("/v1/admin/projections/rebuild") { _, _ in
            let mappings = try currentMappings()
            let job = tributary.rebuilds.start(mappings: mappings, in: runner)
            return Response.json(["job": .string(job), "state": "running"], status: .accepted)
        }
        router.post("/v1/admin/snapshot") { _, _ in
            let result = await tributary.registry.snapshotResident()
            return Response.json(
                ["resident": .number(JSONNumber(result.resident)), "snapshotted": .number(JSONNumber(result.snapshotted))],
                status: .accepted
            )
        }
        router.get("/v1/admin/projections/rebuild/:job") { _, context in
            let id = try context.parameters.require("job")
            guard let job = tributary.rebuilds.job(id) else {
                throw Problem(.notFound, detail: "no rebuild job \(id)")
            }
            return Response.json(job.json)
        }
    }

    /// The mappings a rebuild applies: the mapping file read again when the server has one, so
    /// an edited file takes effect; otherwise the mappings the server started with.
    private func currentMappings() throws(Problem) -> MappingSet {
        guard let path = tributary.configuration.mappingsFile else { return tributary.configuration.mappings }
        do {
            return try MappingFile.load(path)
        } catch {
            throw Problem(.unprocessableContent, detail: "the mapping file cannot be used, so nothing was rebuilt: \(error)")
        }
    }
}
