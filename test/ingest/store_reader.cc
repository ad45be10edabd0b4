#include "test/ingest/store_reader.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/clock.h"
#include "queue/wal.h"
#include "test/support/capture_logger.h"

namespace spillway::test {
namespace {

std::string message_id_of(const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_object() && j.contains("messageId") && j["messageId"].is_string())
    return j["messageId"].get<std::string>();
  return "";
}

void read_account(const queue::Wal& wal, const queue::AccountRecord& a,
                  std::vector<StoredRow>& out) {
  Seq from{0};
  for (;;) {
    auto batch = wal.reader().read(a.id, from, 1000, uint64_t{64} << 20);
    if (!batch) throw std::runtime_error(batch.status().to_string());
    if (batch->empty()) break;
    for (const auto& e : *batch)
      out.push_back({a.name, e.seq.value, false, e.payload, message_id_of(e.payload)});
    from = Seq{batch->back().seq.value + 1};
  }
  auto dead = wal.reader().read_dead(a.id, 1'000'000);
  if (!dead) throw std::runtime_error(dead.status().to_string());
  for (const auto& d : *dead)
    out.push_back({a.name, d.seq.value, true, d.payload, message_id_of(d.payload)});
}

}  // namespace

std::vector<StoredRow> read_store(const std::string& data_dir) {
  SystemClock clock;
  CaptureLogger log;
  queue::WalOptions options;
  options.dir = data_dir;
  options.min_free_disk_bytes = 0;
  auto wal = queue::Wal::open(options, clock, log);
  if (!wal) throw std::runtime_error("open " + data_dir + ": " + wal.status().to_string());
  std::vector<StoredRow> out;
  for (const auto& a : (*wal)->accounts().all()) read_account(**wal, a, out);
  (*wal)->close();
  return out;
}

}  // namespace spillway::test
