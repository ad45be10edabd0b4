#include "queue/detail/ingest_gate.h"

#include <algorithm>

namespace spillway::queue::detail {

IngestGate::Verdict IngestGate::evaluate(std::chrono::steady_clock::time_point now, bool force) {
  const MapUsage usage = env_.map_usage();
  if (force || now >= next_full_) {
    next_full_ = now + kFullCheckInterval;
    disk_at_check_ = read_free_disk();
    high_water_at_check_ = usage.high_water;
    map_full_latched_ = false;
  }
  Verdict v;
  const uint64_t grown = usage.high_water - std::min(usage.high_water, high_water_at_check_);
  v.free_disk =
      disk_at_check_ == UINT64_MAX ? UINT64_MAX : disk_at_check_ - std::min(disk_at_check_, grown);
  v.reason = map_reason(usage, now);
  const uint64_t headroom = disk_headroom(usage, v.free_disk, now);
  if (v.reason.empty() && headroom < kGroupOverheadBytes + kMinRoomBytes) {
    v.reason = disk_reason(v.free_disk, options_.min_free_disk_bytes);
  }
  v.append_budget = v.reason.empty() ? headroom - kGroupOverheadBytes : 0;
  return v;
}

void IngestGate::on_map_full(std::chrono::steady_clock::time_point now) {
  map_full_latched_ = true;
  next_full_ = std::max(next_full_, now + kFullCheckInterval);
}

std::string IngestGate::disk_reason(uint64_t free_disk, uint64_t reserve) {
  return "free disk space is below the reserve (" + std::to_string(free_disk >> 20) +
         " MiB free, " + std::to_string(reserve >> 20) + " MiB kept)";
}

uint64_t IngestGate::read_free_disk() const {
  int64_t injected = options_.faults != nullptr ? options_.faults->free_disk_bytes() : -1;
  if (injected >= 0) return static_cast<uint64_t>(injected);
  auto disk = env_.free_disk_bytes();
  return disk ? *disk : UINT64_MAX;
}

// Rescanned when the file grew since the last scan (the free pages were not enough, or are
// used up) and at the full-check interval; otherwise the last count stands.
uint64_t IngestGate::free_page_bytes(const MapUsage& usage,
                                     std::chrono::steady_clock::time_point now) {
  if (usage.high_water != high_water_at_scan_ || now >= next_scan_) {
    auto pages = env_.free_pages();
    free_pages_ = pages ? *pages : 0;
    high_water_at_scan_ = usage.high_water;
    next_scan_ = now + kFullCheckInterval;
  }
  return free_pages_ * usage.page_size;
}

std::string IngestGate::map_reason(const MapUsage& usage,
                                   std::chrono::steady_clock::time_point now) {
  if (map_full_latched_) return kMapFullReason;
  const auto limit =
      static_cast<uint64_t>(options_.map_watermark * static_cast<double>(usage.map_size));
  uint64_t used = usage.high_water;
  // The file never shrinks: what counts is the pages in use, not the high-water mark.
  if (used > limit) used -= std::min(used, free_page_bytes(usage, now));
  if (used <= limit) return {};
  return "store is above its map watermark (" + std::to_string(used >> 20) + " of " +
         std::to_string(usage.map_size >> 20) + " MiB used); draining frees space";
}

uint64_t IngestGate::disk_headroom(const MapUsage& usage, uint64_t disk,
                                   std::chrono::steady_clock::time_point now) {
  const uint64_t reserve = options_.min_free_disk_bytes;
  if (reserve == 0 || disk == UINT64_MAX) return UINT64_MAX;
  const uint64_t plain = disk > reserve ? disk - reserve : 0;
  // Far from the reserve the freelist is not read: no group could spend that much.
  if (plain >= 2 * options_.max_group_bytes + kGroupOverheadBytes + kMinRoomBytes) {
    high_water_at_credit_ = UINT64_MAX;
    return plain;
  }
  // The data file never shrinks: pages freed by deletes are reused before it grows again, so
  // they are free space too. Without them a disk filled once would refuse ingest for good.
  if (high_water_at_credit_ == UINT64_MAX) high_water_at_credit_ = usage.high_water;
  const uint64_t usable = disk + free_page_bytes(usage, now);
  const uint64_t headroom = usable > reserve ? usable - reserve : 0;
  // Free pages can be unusable: an old reader still sees them, or an overflow value needs a
  // contiguous run. If the file grew while they were counted, they were not enough; then a
  // group takes at most half of the disk really left, so growth never reaches its end.
  if (usage.high_water > high_water_at_credit_)
    return std::min(headroom, std::max(plain, disk / 2));
  return headroom;
}

}  // namespace spillway::queue::detail
