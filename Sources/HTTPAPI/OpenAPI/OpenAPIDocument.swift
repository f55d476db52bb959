import HTTPTypes
import Hummingbird
import JSON

/// The OpenAPI 3.1 description of the API this server implements, served at `/openapi.json`.
///
/// Kept as JSON text so it reads like the document clients see; a test parses it and checks
/// every route the router serves is described.
enum OpenAPIDocument {
    /// The parsed document (`null` only if the text below stopped being JSON, which a test catches),
    /// with the bearer-token requirement and its 401/403/429 answers added to every `/v1` operation.
    static let document: JSONValue = ((try? JSONValue(parsing: text)) ?? .null).securingV1Operations()

    static let text = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Tributary",
        "version": "1",
        "description": "A durable, queryable, replayable mirror of Salesforce records, fed by Change Data Capture events."
      },
      "paths": {
        "/health": {
          "get": {
            "operationId": "health",
            "summary": "Liveness: 200 while the process runs.",
            "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}
          }
        },
        "/ready": {
          "get": {
            "operationId": "ready",
            "summary": "Readiness: 200 once the journal is open and the read models have caught up.",
            "responses": {
              "200": {"description": "Ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/metrics": {
          "get": {
            "operationId": "metrics",
            "summary": "Metrics in Prometheus' text format (version 0.0.4): requests, ingest outcomes, journal commits, read-model lag, resident records, publisher, backfills, gaps.",
            "description": "Open, unless the server was started with tokens and `--metrics-scope`: then a bearer token with that scope.",
            "responses": {
              "200": {"description": "The metrics", "content": {"text/plain": {"schema": {"type": "string"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "403": {"$ref": "#/components/responses/Forbidden"},
              "429": {"$ref": "#/components/responses/TooManyRequests"}
            }
          }
        },
        "/openapi.json": {
          "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "description": "Open, unless the server was started with tokens and `--openapi-scope`: then a bearer token with that scope.",
            "responses": {
              "200": {"description": "The OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "403": {"$ref": "#/components/responses/Forbidden"},
              "429": {"$ref": "#/components/responses/TooManyRequests"}
            }
          }
        },
        "/v1/cdc": {
          "post": {
            "operationId": "ingestChanges",
            "summary": "Ingest one Salesforce change event or a batch (array) of them.",
            "description": "Each item may be an EventBridge event (change under detail.payload or detail), a CometD message or its inner data object, or a bare payload with a ChangeEventHeader. Answers after the resulting events are durable.",
            "parameters": [
              {"name": "X-Tributary-Signature", "in": "header", "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' followed by the body>; required when the server is started with a CDC signing secret, ignored otherwise.", "schema": {"type": "string"}},
              {"$ref": "#/components/parameters/RequestID"}
            ],
            "requestBody": {
              "required": true,
              "content": {"application/json": {"schema": {
                "oneOf": [
                  {"$ref": "#/components/schemas/ChangeEventItem"},
                  {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/ChangeEventItem"}}
                ]
              }}}
            },
            "responses": {
              "200": {"description": "Every change was handled", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestReport"}}}},
              "413": {"$ref": "#/components/responses/Problem"},
              "422": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/projections": {
          "get": {
            "operationId": "listProjections",
            "summary": "Read models with their position and lag behind the journal.",
            "responses": {"200": {"description": "Projections", "content": {"application/json": {"schema": {
              "type": "array",
              "items": {"type": "object", "required": ["name", "position", "lag"], "properties": {
                "name": {"type": "string", "description": "A read model's name, or publisher for the EventBridge publisher (listed only when one is configured)."},
                "position": {"type": "integer", "minimum": 0}, "lag": {"type": "integer", "minimum": 0},
                "restoredFromSnapshot": {"type": ["integer", "null"], "minimum": 0, "description": "The position this read model resumed after at start-up, from its stored state (record read models) or its snapshot; null when it replayed the log."},
                "eventBus": {"type": "string", "description": "Publisher only: the bus events go to."},
                "published": {"type": "integer", "minimum": 0, "description": "Publisher only: events the bus accepted since start."},
                "publishedAsReferences": {"type": "integer", "minimum": 0, "description": "Publisher only: of those, events too large to send whole, sent as references."},
                "failedCalls": {"type": "integer", "minimum": 0, "description": "Publisher only: PutEvents calls that failed as a whole since start."},
                "retriedEntries": {"type": "integer", "minimum": 0, "description": "Publisher only: entries the bus refused and that were sent again."},
                "rejectedEntries": {"type": "integer", "minimum": 0, "description": "Publisher only: entries given up after repeated non-transient refusals (each logged)."},
                "lastError": {"type": ["string", "null"], "description": "Publisher only: the last failure, while failing."}
              }}
            }}}}}
          }
        },
        "/v1/gaps": {
          "get": {
            "operationId": "listGaps",
            "summary": "Records waiting for a re-read (gap events, undecodable nulled fields, large-text diffs that did not apply), and entities waiting for a re-sync.",
            "description": "Records come by stream name. Without `limit`, all of them; with it, a page: follow `next` (as `after`) until it is null. Every page lists all the entities.",
            "parameters": [
              {"name": "limit", "in": "query", "description": "The most records on this page (default: all).", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
              {"name": "after", "in": "query", "description": "The cursor from the previous page's `next`: records after this aggregate/id.", "schema": {"type": "string", "pattern": "^[^/]+/.+$"}},
              {"$ref": "#/components/parameters/MinPosition"},
              {"$ref": "#/components/parameters/Wait"}
            ],
            "responses": {
              "200": {"description": "Pending gaps", "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["records", "entities", "next"],
                "properties": {
                  "records": {"type": "array", "items": {"type": "object", "required": ["aggregate", "id", "entity", "commitTimestamp", "reason"], "properties": {
                    "aggregate": {"type": "string"}, "id": {"type": "string"}, "entity": {"type": "string"}, "commitTimestamp": {"type": "integer"},
                    "reason": {"type": "string", "description": "Why the record must be read again, e.g. GAP_UPDATE."}
                  }}},
                  "entities": {"type": "array", "items": {"type": "string"}},
                  "next": {"type": ["string", "null"], "description": "The `after` of the next page; null on the last."}
                }
              }}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/schemas/{schemaId}": {
          "parameters": [
            {"name": "schemaId", "in": "path", "required": true, "description": "The change event schema id (CometD `schema`, Pub/Sub `schemaId`).", "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,128}$"}}
          ],
          "put": {
            "operationId": "registerSchema",
            "summary": "Register the Avro schema of a change event, so Pub/Sub bitmap field lists of events with this schema id can be decoded.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
              "type": "object", "required": ["type", "fields"], "description": "The Avro schema as Salesforce serves it at /services/data/vXX.X/event/eventSchema/{schemaId}.",
              "properties": {"type": {"const": "record"}, "name": {"type": "string"}, "fields": {"type": "array", "items": {"type": "object"}}}
            }}}},
            "responses": {
              "200": {"description": "Registered (durably)", "content": {"application/json": {"schema": {
                "type": "object", "required": ["schemaId", "fields", "position"],
                "properties": {"schemaId": {"type": "string"}, "fields": {"type": "integer", "minimum": 1}, "position": {"type": "integer", "minimum": 0}}
              }}},
              "links": {"GetSchema": {"operationId": "getSchema", "parameters": {"schemaId": "$request.path.schemaId"}}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "413": {"$ref": "#/components/responses/Problem"},
              "422": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          },
          "get": {
            "operationId": "getSchema",
            "summary": "The field order of a registered schema.",
            "responses": {
              "200": {"description": "The schema's field order", "content": {"application/json": {"schema": {
                "type": "object", "required": ["schemaId", "fieldOrder", "nestedFieldOrder"],
                "properties": {
                  "schemaId": {"type": "string"},
                  "fieldOrder": {"type": "array", "items": {"type": "string"}},
                  "nestedFieldOrder": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
                }
              }}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "404": {"$ref": "#/components/responses/Problem"}
            }
          }
        },
        "/v1/commands/{aggregate}/{id}": {
          "post": {
            "operationId": "runCommand",
            "summary": "Upsert, delete or undelete a record on behalf of another service.",
            "parameters": [
              {"$ref": "#/components/parameters/Aggregate"},
              {"$ref": "#/components/parameters/RecordID"},
              {"name": "Idempotency-Key", "in": "header", "description": "A repeated key returns the first answer without writing again.", "schema": {"type": "string", "minLength": 1, "maxLength": 255}},
              {"$ref": "#/components/parameters/RequestID"}
            ],
            "requestBody": {
              "required": true,
              "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["command"],
                "properties": {
                  "command": {"type": "string", "enum": ["upsert", "delete", "undelete"]},
                  "fields": {"type": "object", "description": "Salesforce field names and values.", "additionalProperties": true},
                  "expectedVersion": {"type": "integer", "minimum": 0}
                }
              }}}
            },
            "responses": {
              "200": {"description": "Durable", "content": {"application/json": {"schema": {
                "type": "object", "required": ["position", "version", "outcome"], "properties": {
                  "position": {"type": "integer"}, "version": {"type": "integer"},
                  "outcome": {"type": "string", "enum": ["created", "updated", "deleted", "undeleted"]}
                }
              }}},
              "links": {
                "GetRecord": {"operationId": "getRecord", "parameters": {"aggregate": "$request.path.aggregate", "id": "$request.path.id", "minPosition": "$response.body#/position"}},
                "GetRecordEvents": {"operationId": "getRecordEvents", "parameters": {"aggregate": "$request.path.aggregate", "id": "$request.path.id", "minPosition": "$response.body#/position"}}
              }},
              "404": {"$ref": "#/components/responses/Problem"},
              "409": {"description": "The record is not at the expected version; nothing was written.", "content": {"application/problem+json": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/Problem"}, {"type": "object", "properties": {"currentVersion": {"type": "integer"}}}]
              }}}},
              "413": {"$ref": "#/components/responses/Problem"},
              "422": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/admin/snapshot": {
          "post": {
            "operationId": "snapshotAggregates",
            "summary": "Snapshot the resident records now (those whose state moved since their last snapshot and whose history is long enough for recovery to read one); the snapshots are written with the journal's next commit.",
            "responses": {
              "202": {"description": "Queued for the journal's writer", "content": {"application/json": {"schema": {
                "type": "object", "required": ["resident", "snapshotted"],
                "properties": {"resident": {"type": "integer", "minimum": 0}, "snapshotted": {"type": "integer", "minimum": 0}}
              }}}}
            }
          }
        },
        "/v1/admin/projections/rebuild": {
          "post": {
            "operationId": "rebuildProjections",
            "summary": "Rebuild every read model from the journal, re-reading the mapping file; reads keep being served from the old views meanwhile.",
            "responses": {
              "202": {"description": "Started", "content": {"application/json": {"schema": {
                "type": "object", "required": ["job", "state"], "properties": {"job": {"type": "string"}, "state": {"type": "string"}}
              }}},
              "links": {"GetRebuild": {"operationId": "getRebuild", "parameters": {"job": "$response.body#/job"}}}},
              "422": {"$ref": "#/components/responses/Problem"}
            }
          }
        },
        "/v1/admin/projections/rebuild/{job}": {
          "get": {
            "operationId": "getRebuild",
            "summary": "A rebuild job's state.",
            "parameters": [{"name": "job", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {
              "200": {"description": "The job", "content": {"application/json": {"schema": {
                "type": "object", "required": ["job", "state", "position", "startedAt"], "properties": {
                  "job": {"type": "string"}, "state": {"type": "string", "enum": ["running", "done", "failed"]},
                  "position": {"type": "integer"}, "startedAt": {"type": "string", "format": "date-time"},
                  "finishedAt": {"type": "string", "format": "date-time"}, "error": {"type": "string"}
                }
              }}}},
              "404": {"$ref": "#/components/responses/Problem"}
            }
          }
        },
        "/v1/backfill": {
          "post": {
            "operationId": "startBackfill",
            "summary": "Backfill an entity's records from Salesforce (one job per entity at a time). Needs a configured Salesforce org.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
              "type": "object", "required": ["entity"], "properties": {
                "entity": {"type": "string", "description": "A mapped Salesforce object, e.g. Account."},
                "since": {"type": ["string", "null"], "format": "date-time", "description": "Only records changed since then (SystemModstamp)."},
                "includeDeleted": {"type": ["boolean", "null"], "description": "Read the recycle bin too (queryAll)."}
              }
            }}}},
            "responses": {
              "202": {"description": "Started", "content": {"application/json": {"schema": {"type": "object", "required": ["job", "position"], "properties": {"job": {"type": "string"}, "position": {"type": "integer", "minimum": 1, "description": "The journal position of the job's BackfillStarted event."}}}}},
                "links": {"GetBackfill": {"operationId": "getBackfill", "parameters": {"job": "$response.body#/job", "minPosition": "$response.body#/position"}}}},
              "409": {"$ref": "#/components/responses/Problem"},
              "413": {"$ref": "#/components/responses/Problem"},
              "422": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/backfill/{job}": {
          "get": {
            "operationId": "getBackfill",
            "summary": "A backfill job and how far it has got.",
            "parameters": [
              {"name": "job", "in": "path", "required": true, "schema": {"type": "string"}},
              {"$ref": "#/components/parameters/MinPosition"},
              {"$ref": "#/components/parameters/Wait"}
            ],
            "responses": {
              "200": {"description": "The job", "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["job", "entity", "state", "pages", "records", "applied", "duplicates", "errors", "includeDeleted", "reconcile", "deletedAbsent", "startedAt"],
                "properties": {
                  "job": {"type": "string"}, "entity": {"type": "string"}, "state": {"type": "string", "enum": ["running", "done", "failed"]},
                  "pages": {"type": "integer", "minimum": 0}, "records": {"type": "integer", "minimum": 0},
                  "applied": {"type": "integer", "minimum": 0, "description": "Records that changed the mirror."},
                  "duplicates": {"type": "integer", "minimum": 0, "description": "Records already mirrored as read: nothing written."},
                  "errors": {"type": "integer", "minimum": 0, "description": "Records without a usable Id or LastModifiedDate."},
                  "totalSize": {"type": "integer", "minimum": 0}, "since": {"type": "string", "format": "date-time"},
                  "includeDeleted": {"type": "boolean"}, "reconcile": {"type": "boolean", "description": "A re-sync after an overflow: records Salesforce no longer has are deleted."},
                  "deletedAbsent": {"type": "integer", "minimum": 0, "description": "Re-syncs: records the mirror held that Salesforce no longer has, deleted (a record deleted meanwhile by CDC is not counted)."}, "reason": {"type": "string"},
                  "startedAt": {"type": "string", "format": "date-time"}, "finishedAt": {"type": "string", "format": "date-time"}, "error": {"type": "string"},
                  "position": {"type": "integer", "minimum": 1, "description": "The position of the job's latest journaled event: a read with this minPosition sees every record the job has written so far (once done, all of them). Absent only for jobs recorded before this field existed."}
                }
              }}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "404": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/events": {
          "get": {
            "operationId": "listEvents",
            "summary": "A page of the global log, in position order.",
            "parameters": [
              {"name": "after", "in": "query", "description": "Events after this position.", "schema": {"type": "integer", "minimum": 0, "default": 0}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
              {"$ref": "#/components/parameters/JournalMinPosition"},
              {"$ref": "#/components/parameters/Wait"}
            ],
            "responses": {
              "200": {"description": "The page", "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["items", "next", "head"],
                "properties": {
                  "items": {"type": "array", "items": {"$ref": "#/components/schemas/LogEvent"}},
                  "next": {"type": "integer", "minimum": 0, "description": "The after of the next page: the last item's position, or after when the page is empty."},
                  "head": {"type": "integer", "minimum": 0, "description": "The journal's last position when the page was read."}
                }
              }}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/events/stream": {
          "get": {
            "operationId": "streamEvents",
            "summary": "The global log as Server-Sent Events, live.",
            "description": "Frames are `id: <position>` and `data: <the event, as in GET /v1/events>`. Resumes after `Last-Event-ID` when sent (EventSource does so on reconnecting), else after `after`. An idle stream sends `: heartbeat` comments. A consumer that stays too far behind gets a final `event: disconnect` frame whose data holds `reason` and `lastEventId`, and resumes from there; one that reads nothing is closed after a stall timeout.",
            "parameters": [
              {"name": "after", "in": "query", "description": "Stream the events after this position.", "schema": {"type": "integer", "minimum": 0, "default": 0}},
              {"name": "Last-Event-ID", "in": "header", "description": "The last position received; wins over after.", "schema": {"type": "integer", "minimum": 0}},
              {"$ref": "#/components/parameters/JournalMinPosition"},
              {"$ref": "#/components/parameters/Wait"}
            ],
            "responses": {
              "200": {"description": "The stream, until the consumer or the server ends it", "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/StreamEvent"}}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/{aggregate}/{id}/summary": {
          "get": {
            "operationId": "getClientSummary",
            "summary": "A client with its platforms, contracts, deals, services and their subservices, and totals. Only clients have a summary.",
            "parameters": [
              {"$ref": "#/components/parameters/Aggregate"},
              {"$ref": "#/components/parameters/RecordID"},
              {"$ref": "#/components/parameters/MinPosition"},
              {"$ref": "#/components/parameters/Wait"}
            ],
            "responses": {
              "200": {"description": "The summary", "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["client", "platforms", "contracts", "deals", "services", "totals"],
                "properties": {
                  "client": {"$ref": "#/components/schemas/Record"},
                  "platforms": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                  "contracts": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                  "deals": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                  "services": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/Record"}, {"type": "object", "properties": {"subservices": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}]}},
                  "totals": {"type": "object", "required": ["platforms", "contracts", "deals", "services", "subservices"], "properties": {
                    "platforms": {"type": "integer"}, "contracts": {"type": "integer"}, "deals": {"type": "integer"},
                    "services": {"type": "integer"}, "subservices": {"type": "integer"},
                    "dealAmount": {"type": "number"}, "contractValue": {"type": "number"}
                  }}
                }
              }}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "404": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/{aggregate}": {
          "get": {
            "operationId": "listRecords",
            "summary": "List records of one type in id order, with equality filters on mapped fields.",
            "description": "Any query parameter other than the ones listed is an equality filter on a mapped domain field (e.g. industry=Energy).",
            "parameters": [
              {"$ref": "#/components/parameters/Aggregate"},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}},
              {"name": "after", "in": "query", "description": "The cursor from the previous page.", "schema": {"type": "string"}},
              {"name": "includeDeleted", "in": "query", "schema": {"type": "boolean", "default": false}},
              {"$ref": "#/components/parameters/MinPosition"},
              {"$ref": "#/components/parameters/Wait"}
            ],
            "responses": {
              "200": {"description": "A page of records", "content": {"application/json": {"schema": {
                "type": "object", "required": ["items", "next"], "properties": {
                  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                  "next": {"type": ["string", "null"], "description": "The cursor of the next page; null on the last page. A page may hold fewer items than limit, even none, and still have a next: one request examines at most 10,000 records."}
                }
              }}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "404": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/{aggregate}/{id}": {
          "get": {
            "operationId": "getRecord",
            "summary": "One record's current view. A deleted record answers 200 with deleted: true.",
            "parameters": [
              {"$ref": "#/components/parameters/Aggregate"},
              {"$ref": "#/components/parameters/RecordID"},
              {"$ref": "#/components/parameters/MinPosition"},
              {"$ref": "#/components/parameters/Wait"}
            ],
            "responses": {
              "200": {"description": "The record", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Record"}}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "404": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/{aggregate}/{id}/events": {
          "get": {
            "operationId": "getRecordEvents",
            "summary": "A record's event history, oldest first.",
            "parameters": [
              {"$ref": "#/components/parameters/Aggregate"},
              {"$ref": "#/components/parameters/RecordID"},
              {"$ref": "#/components/parameters/MinPosition"},
              {"$ref": "#/components/parameters/Wait"}
            ],
            "responses": {
              "200": {"description": "The events", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}}},
              "400": {"$ref": "#/components/responses/Problem"},
              "404": {"$ref": "#/components/responses/Problem"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        }
      },
      "components": {
        "securitySchemes": {
          "bearer": {"type": "http", "scheme": "bearer", "description": "A token from the server's tokens file, with the scope the operation names (ingest, query or admin). Needed only when tokens are configured."}
        },
        "parameters": {
          "Aggregate": {"name": "aggregate", "in": "path", "required": true, "schema": {"type": "string", "enum": ["clients", "platforms", "contracts", "deals", "services", "subservices"]}},
          "RecordID": {"name": "id", "in": "path", "required": true, "description": "A Salesforce id; 15 characters are normalised to 18.", "schema": {"type": "string", "pattern": "^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"}},
          "RequestID": {"name": "X-Request-Id", "in": "header", "description": "The caller's id for the request: answered in X-Request-Id and kept as requestId in the metadata of the events written. Any request may send one; one outside this pattern is replaced by a server-made id.", "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:/+=@-]{1,128}$"}},
          "MinPosition": {"name": "minPosition", "in": "query", "description": "Answer only once the read model has applied this journal position.", "schema": {"type": "integer", "minimum": 0}},
          "JournalMinPosition": {"name": "minPosition", "in": "query", "description": "Answer only once the journal has committed this position.", "schema": {"type": "integer", "minimum": 0}},
          "Wait": {"name": "wait", "in": "query", "description": "How long to wait for minPosition, in milliseconds; longer waits are cut to the server's limit (30000 by default).", "schema": {"type": "integer", "minimum": 0, "default": 5000}}
        },
        "responses": {
          "Problem": {"description": "The request was refused; nothing was written.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "Unauthorized": {
            "description": "No valid bearer token (when tokens are configured), or a missing, stale, wrong or replayed X-Tributary-Signature (when signed CDC bodies are required).",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
          },
          "Forbidden": {
            "description": "The bearer token lacks the scope this operation needs.",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
          },
          "TooManyRequests": {
            "description": "The bearer token is over its request rate limit (serve --rate-limit); retry after the delay given.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
          },
          "Unavailable": {
            "description": "Not available now; retry after the delay given.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
          }
        },
        "schemas": {
          "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
          "StreamEvent": {
            "description": "One Server-Sent Event: an event of the log (no event field, or 'message'; id is its position; data is the event as in GET /v1/events), 'disconnect' before the server closes a consumer that fell behind, or a heartbeat comment (which carries no fields).",
            "type": "object",
            "properties": {
              "event": {"type": "string"},
              "id": {"type": "string"},
              "data": {"type": "string", "contentMediaType": "application/json"},
              "retry": {"type": "integer", "minimum": 0}
            }
          },
          "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
              "type": {"type": "string"},
              "title": {"type": "string"},
              "status": {"type": "integer"},
              "detail": {"type": "string"},
              "errors": {"type": "array", "items": {"type": "object", "required": ["message"], "properties": {
                "index": {"type": "integer"}, "field": {"type": "string"}, "message": {"type": "string"}
              }}}
            }
          },
          "ChangeEventItem": {
            "type": "object",
            "description": "An EventBridge event, a CometD message, a CometD data object, or a bare payload with ChangeEventHeader.",
            "additionalProperties": true
          },
          "IngestReport": {
            "type": "object",
            "required": ["position", "results"],
            "properties": {
              "position": {"type": "integer", "minimum": 0},
              "results": {"type": "array", "items": {
                "type": "object",
                "required": ["index", "entity", "outcome"],
                "properties": {
                  "index": {"type": "integer"},
                  "entity": {"type": "string"},
                  "recordId": {"type": "string"},
                  "aggregate": {"type": "string"},
                  "outcome": {"type": "string", "enum": ["applied", "duplicate", "ignored", "gap-pending", "resync-scheduled"]},
                  "version": {"type": "integer"}
                }
              }}
            }
          },
          "Record": {
            "type": "object",
            "required": ["id", "aggregate", "version", "deleted", "position", "updatedAt", "fields"],
            "properties": {
              "id": {"type": "string"},
              "aggregate": {"type": "string"},
              "version": {"type": "integer"},
              "deleted": {"type": "boolean"},
              "position": {"type": "integer"},
              "updatedAt": {"type": "string", "format": "date-time"},
              "fields": {"type": "object", "additionalProperties": true}
            }
          },
          "LogEvent": {
            "type": "object",
            "description": "An event of any stream (records, backfill jobs), as the global log holds it.",
            "required": ["position", "version", "stream", "type", "recordedAt", "metadata", "data"],
            "properties": {
              "position": {"type": "integer"},
              "version": {"type": "integer"},
              "stream": {"type": "string", "description": "category/id, e.g. clients/001..."},
              "type": {"type": "string"},
              "recordedAt": {"type": "string", "format": "date-time"},
              "metadata": {"type": "object", "additionalProperties": true},
              "data": {}
            }
          },
          "Event": {
            "type": "object",
            "required": ["position", "version", "stream", "type", "recordedAt", "metadata", "data"],
            "properties": {
              "position": {"type": "integer"},
              "version": {"type": "integer"},
              "stream": {"type": "string"},
              "type": {"type": "string"},
              "recordedAt": {"type": "string", "format": "date-time"},
              "metadata": {"type": "object", "required": ["source"], "properties": {"source": {"type": "string", "enum": ["cdc", "backfill", "api", "gap-fill"]}}, "additionalProperties": true},
              "data": {"type": "object", "additionalProperties": true}
            }
          }
        }
      }
    }
    """#
}

extension JSONValue {
    /// The document with, on every operation under `/v1`, the bearer scheme (with the scope the
    /// route needs, as `AuthenticationMiddleware` decides it) and the 401, 403 and 429 answers.
    fileprivate func securingV1Operations() -> JSONValue {
        guard case .object(var document) = self, case .object(var paths)? = document["paths"] else { return self }
        for member in paths where member.key.hasPrefix("/v1") {
            guard case .object(var operations) = member.value else { continue }
            for operation in operations {
                guard case .object(var body) = operation.value, let method = HTTPRequest.Method(operation.key.uppercased()) else { continue }
                let requirement = AuthenticationMiddleware<BasicRequestContext>.requirement(method, member.key)
                if case .scope(let scope) = requirement {
                    body["security"] = [["bearer": [.string(scope.rawValue)]]]
                    body["x-required-scope"] = .string(scope.rawValue)
                }
                if case .object(var responses)? = body["responses"] {
                    responses["401"] = ["$ref": "#/components/responses/Unauthorized"]
                    responses["403"] = ["$ref": "#/components/responses/Forbidden"]
                    responses["429"] = ["$ref": "#/components/responses/TooManyRequests"]
                    body["responses"] = .object(responses)
                }
                operations[operation.key] = .object(body)
            }
            paths[member.key] = .object(operations)
        }
        document["paths"] = .object(paths)
        return .object(document)
    }
}
