#pragma once

namespace spillway::ingest {

class IngestService;
class Router;

// Registers the Customer.io Track API v1 routes, normalising each body to the Segment shape:
//   PUT  /api/v1/customers/{id}          identify; the body is the attributes
//   POST /api/v1/customers/{id}/events   {name, data?, id?, timestamp?, type?}
//   POST /api/v1/events                  anonymous event
// Auth: HTTP Basic site_id:api_key (both must belong to one account). Success is 200 `{}`.
// Borrows the service.
void add_track_api_routes(Router& router, IngestService& service);

}  // namespace spillway::ingest
