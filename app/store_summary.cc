#include "app/store_summary.h"

#include <sstream>

#include "app/status_table.h"
#include "queue/lmdb_env.h"

namespace spillway::app {

Result<queue::StoreReport> check_store_dir(const std::string& dir) {
  queue::LmdbEnvOptions options;
  options.dir = dir;
  options.read_only = true;
  auto env = queue::LmdbEnv::open(options);
  if (!env) return env.status();
  return queue::check_store(**env);
}

std::string format_report(const std::string& dir, const queue::StoreReport& r) {
  std::ostringstream out;
  out << dir << ": " << format_count(r.accounts) << " accounts, " << format_count(r.events)
      << " queued events (" << format_count(r.event_bytes) << " bytes), "
      << format_count(r.dead_letters) << " dead letters, " << format_count(r.credentials)
      << " credentials, " << format_count(r.dedupe_entries) << " idempotency keys in "
      << format_count(r.dedupe_runs) << " runs and the key log";
  if (r.dedupe_garbage_rows > 0) {
    out << " (" << format_count(r.dedupe_garbage_rows) << " rows of retired runs to delete)";
  }
  if (r.staged_events > 0) {
    out << "; " << format_count(r.staged_events)
        << " events staged in the inbox (acknowledged; moved into their queues at the next open)";
  }
  out << "\n";
  for (const auto& p : r.problems) out << "PROBLEM: " << p << "\n";
  out << (r.ok() ? "OK: every check passed\n"
                 : "DAMAGED: " + std::to_string(r.problems.size()) + " problem(s) found\n");
  return out.str();
}

}  // namespace spillway::app
