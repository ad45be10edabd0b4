#pragma once

namespace spillway::ingest {

class AdminToken;
class IngestService;
class Router;

// Registers the ingest-owned operations routes:
//   POST /v1/admin/accounts  {"name", "write_key"?, "site_id"?, "api_key"?, "weight"?}
//        -> 201 {"account","id","write_key","site_id","api_key"} (shown once, stored hashed),
//           409 for a taken name; Bearer admin token required (401 missing, 403 wrong).
//   GET  /healthz            200 while the process serves HTTP
//   GET  /readyz             200 when the store is healthy and takes appends, else 503
//                            (`draining` while the node drains for removal)
// Borrows the service and the token.
void add_admin_routes(Router& router, IngestService& service, const AdminToken& token);

}  // namespace spillway::ingest
