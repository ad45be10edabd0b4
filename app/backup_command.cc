// `spillway backup DATA_DIR OUT_DIR`.
#include <filesystem>
#include <iostream>

#include "app/admin_client.h"
#include "app/cli_args.h"
#include "app/commands.h"
#include "app/store_summary.h"
#include "queue/lmdb_env.h"

namespace spillway::app {
namespace {

constexpr const char* kUsage =
    "usage: spillway backup DATA_DIR OUT_DIR [--url URL]\n"
    "Compacting copy of the store (LMDB mdb_env_copy2 with MDB_CP_COMPACT) into OUT_DIR, which\n"
    "must be empty or absent, then verifies the copy like `spillway verify`.\n"
    "While no server runs on DATA_DIR the copy is made here; while one does, the running\n"
    "server makes it (POST /v1/admin/backup; token from $SPILLWAY_ADMIN_TOKEN or\n"
    "DATA_DIR/admin.token). The admin token file is not part of the copy.\n"
    "  --url URL    the server on DATA_DIR (default http://127.0.0.1:8080)\n"
    "exit codes: 0 copied and verified, 1 the copy failed or is damaged, 2 usage,\n"
    "            3 the store cannot be opened and no server answers, 4 no or wrong token\n";

int fail(const std::string& message, int code) {
  std::cerr << "spillway backup: " << message << "\n";
  return code;
}

// Copies through the server that holds DATA_DIR's lock.
int copy_via_server(const CliArgs& a, const std::string& data_dir, const std::string& out) {
  auto token = client_admin_token(data_dir);
  if (!token) return fail(token.status().message(), kExitAuth);
  AdminClient client(a.url(), *token, std::chrono::hours(24));
  ApiReply reply = client.call("POST", "/v1/admin/backup", nlohmann::json{{"dir", out}});
  if (reply.exit != kExitOk) return report_failure("backup", reply);
  std::cout << "hot copy written by the running server at " << a.url() << "\n";
  return kExitOk;
}

int copy(const CliArgs& a, const std::string& data_dir, const std::string& out) {
  queue::LmdbEnvOptions options;
  options.dir = data_dir;
  options.read_only = true;
  auto env = queue::LmdbEnv::open(options);
  if (!env && env.status().code() == Status::Code::kUnavailable) {
    return copy_via_server(a, data_dir, out);
  }
  if (!env) return fail(env.status().message(), kExitUnreachable);
  Status s = (*env)->copy_compacted(out);
  if (!s.is_ok()) return fail(s.message(), kExitServerError);
  std::cout << "offline copy written (no server holds " << data_dir << ")\n";
  return kExitOk;
}

}  // namespace

int backup_main(const std::vector<std::string>& args) {
  auto parsed = parse_cli_args(args, {"url"});
  if (parsed && parsed->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (!parsed || parsed->positional.size() != 2) {
    std::cerr << "spillway backup: "
              << (parsed ? "expected DATA_DIR and OUT_DIR" : parsed.status().message()) << "\n"
              << kUsage;
    return kExitUsage;
  }
  std::error_code ec;
  std::string data_dir = parsed->positional[0];
  std::string out = std::filesystem::absolute(parsed->positional[1], ec).lexically_normal();
  if (ec) return fail("bad OUT_DIR: " + ec.message(), kExitUsage);
  if (std::filesystem::exists(out, ec) && !std::filesystem::is_empty(out, ec)) {
    return fail(out + " is not empty; back up into a new directory", kExitUsage);
  }
  if (int code = copy(*parsed, data_dir, out); code != kExitOk) return code;
  auto report = check_store_dir(out);
  if (!report) return fail("cannot open the copy: " + report.status().message(), kExitServerError);
  std::cout << format_report(out, *report);
  return report->ok() ? kExitOk : kExitServerError;
}

}  // namespace spillway::app
