#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "queue/lmdb_env.h"
#include "queue/wal_options.h"

namespace spillway::queue::detail {

// Decides, before each group commit, whether appends may be taken and how many bytes of them
// the disk can still hold (RELIABILITY_PLAN FM-06, FM-07). Owned and called by the writer
// thread only; not thread-safe.
//
// statvfs and the freelist are read every kFullCheckInterval. Between reads the data file's
// growth (LMDB's high-water mark, a memory read) is subtracted from the last free-disk
// figure, because ingest on a fast disk fills a small reserve in less than that interval.
// Within a group, appends spend a byte budget so one large group cannot overshoot the reserve.
class IngestGate {
 public:
  static constexpr auto kFullCheckInterval = std::chrono::milliseconds(100);
  // Pages a commit copies (branch and leaf pages of each tree it touches) come from the
  // freelist or from file growth; kept out of the budget of every group.
  static constexpr uint64_t kGroupOverheadBytes = uint64_t{256} << 10;
  // The gate closes when less than this is left for appends: at the edge of the reserve it
  // would otherwise stay open while nearly every request is refused by the budget.
  static constexpr uint64_t kMinRoomBytes = uint64_t{1} << 20;

  // Worst-case file growth for appending `events` events of `payload_bytes` in total: leaf
  // pages may be half full, and each event adds a key plus two dedupe index entries.
  static uint64_t append_cost(uint64_t payload_bytes, uint64_t events) {
    return 2 * payload_bytes + 512 * events;
  }

  static constexpr const char* kMapFullReason =
      "store is full (LMDB map size reached); draining frees space";

  struct Verdict {
    std::string reason;          // empty: appends may be taken
    uint64_t append_budget = 0;  // bytes of append_cost() this group may spend
    uint64_t free_disk = 0;      // estimated, for messages; UINT64_MAX when unknown
  };

  IngestGate(LmdbEnv& env, const WalOptions& options) : env_(env), options_(options) {}
  IngestGate(const IngestGate&) = delete;
  IngestGate& operator=(const IngestGate&) = delete;

  // `force`: re-read statvfs and the freelist now (at start).
  Verdict evaluate(std::chrono::steady_clock::time_point now, bool force);
  // MDB_MAP_FULL was returned: appends stay refused until the next full check.
  void on_map_full(std::chrono::steady_clock::time_point now);

  // The message of a disk refusal, also used when a group's budget runs out.
  static std::string disk_reason(uint64_t free_disk, uint64_t reserve);

 private:
  uint64_t read_free_disk() const;
  uint64_t free_page_bytes(const MapUsage& usage, std::chrono::steady_clock::time_point now);
  std::string map_reason(const MapUsage& usage, std::chrono::steady_clock::time_point now);
  uint64_t disk_headroom(const MapUsage& usage, uint64_t disk,
                         std::chrono::steady_clock::time_point now);

  LmdbEnv& env_;
  const WalOptions& options_;
  std::chrono::steady_clock::time_point next_full_{};
  uint64_t disk_at_check_ = UINT64_MAX;  // statvfs at the last full check
  uint64_t high_water_at_check_ = 0;
  // Free pages of the data file at the last freelist scan, and the file size then.
  uint64_t free_pages_ = 0;
  uint64_t high_water_at_scan_ = UINT64_MAX;
  std::chrono::steady_clock::time_point next_scan_{};
  // File size when free pages started to count as free disk; UINT64_MAX while they do not.
  uint64_t high_water_at_credit_ = UINT64_MAX;
  bool map_full_latched_ = false;
};

}  // namespace spillway::queue::detail
