// POST /v1/admin/backup.
#include <nlohmann/json.hpp>

#include "app/admin_auth.h"
#include "app/backup_runner.h"
#include "app/ops_routes.h"
#include "common/logger.h"
#include "ingest/responses.h"
#include "ingest/router.h"

namespace spillway::app {
namespace {

using nlohmann::json;

void start_backup(BackupRunner& runner, Logger& log, const ingest::HttpRequest& req,
                  const ingest::Responder& respond) {
  json body = json::parse(req.body, nullptr, false);
  const json* dir = body.is_object() && body.contains("dir") ? &body["dir"] : nullptr;
  if (dir == nullptr || !dir->is_string() || dir->get_ref<const std::string&>().empty() ||
      dir->get_ref<const std::string&>().front() != '/') {
    return respond(
        ingest::error_response(400, "invalid_request", "body must be {\"dir\": ABSOLUTE_PATH}"));
  }
  std::string path = dir->get<std::string>();
  std::string actor = "admin@" + req.remote;
  log.info("ops", "backup started", {{"dir", path}, {"actor", actor}});
  bool started = runner.start(path, [&log, respond, path](Status s) {
    if (!s.is_ok()) {
      log.error("ops", "backup failed", {{"dir", path}, {"error", s.to_string()}});
      int status = s.code() == Status::Code::kInvalidArgument ? 409 : 500;
      return respond(ingest::error_response(status, status == 409 ? "conflict" : "backup_failed",
                                            s.message()));
    }
    log.info("ops", "backup written", {{"dir", path}});
    respond(ingest::json_response(200, json{{"success", true}, {"dir", path}}.dump()));
  });
  if (!started) {
    respond(ingest::error_response(409, "busy", "a backup is already running"));
  }
}

}  // namespace

void add_backup_route(ingest::Router& router, const OpsSources& sources, BackupRunner& runner,
                      Logger& log) {
  router.add("POST", "/v1/admin/backup",
             [sources, &runner, &log](ingest::HttpRequest req, ingest::Responder respond) {
               if (!require_admin(*sources.token, req, respond)) return;
               start_backup(runner, log, req, respond);
             });
}

}  // namespace spillway::app
