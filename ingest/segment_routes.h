#pragma once

namespace spillway::ingest {

class IngestService;
class Router;

// Registers the Segment HTTP Tracking API (also what Customer.io Data Pipelines accepts) and
// the native endpoint on the router:
//   POST /v1/batch                 {"batch":[...], "writeKey"?, "sentAt"?, "context"?}
//   POST /v1/track|identify|page|screen|group|alias   one event; the path gives `type`
//   POST /v1/events                a JSON object, a JSON array or NDJSON (any objects)
// Auth: HTTP Basic with the write key as user name, else body `writeKey`. Borrows the
// service, which must outlive the router's use.
void add_segment_routes(Router& router, IngestService& service);

}  // namespace spillway::ingest
