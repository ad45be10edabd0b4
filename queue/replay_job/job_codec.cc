#include "queue/replay_job/job_codec.h"

#include "common/bytes.h"
#include "common/crc32c.h"

namespace spillway::queue {

std::string replay_state_name(ReplayState s) {
  switch (s) {
    case ReplayState::kRunning:
      return "running";
    case ReplayState::kDone:
      return "done";
    case ReplayState::kCancelled:
      return "cancelled";
    case ReplayState::kCancelling:
      return "cancelling";
  }
  return "unknown";
}

}  // namespace spillway::queue

namespace spillway::queue::replay_job::codec {
namespace {

// Version 2 appends the cancel's drop (dropped, DropCursor) to version 1's body. A job that
// never dropped anything is still written as version 1, so builds from before the drop keep
// reading stores that never cancelled a job; version 1 decodes with zeros there.
constexpr uint8_t kRowVersion = 2;
constexpr uint8_t kRowVersionWithoutDrop = 1;

void put_strings(std::string& out, const std::vector<std::string>& v) {
  put_be32(out, static_cast<uint32_t>(v.size()));
  for (const std::string& s : v) {
    put_be32(out, static_cast<uint32_t>(s.size()));
    out.append(s);
  }
}

bool get_strings(ByteReader& in, std::vector<std::string>& v) {
  uint32_t n = 0;
  if (!in.be32(n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    std::string_view s;
    if (!in.be32(len) || !in.bytes(len, s)) return false;
    v.emplace_back(s);
  }
  return true;
}

bool get_i64(ByteReader& in, int64_t& v) {
  uint64_t u = 0;
  if (!in.be64(u)) return false;
  v = static_cast<int64_t>(u);
  return true;
}

bool get_drop(ByteReader& in, ReplayJob& j) {
  return in.be64(j.dropped) && in.be32(j.drop.account) && in.be64(j.drop.seq) &&
         in.be64(j.drop.scanned);
}

bool get_body(ByteReader& in, ReplayJob& j, uint8_t version) {
  uint8_t state = 0;
  uint32_t accounts = 0;
  if (!in.u8(state) || state < 1 || state > 4) return false;
  j.state = static_cast<ReplayState>(state);
  if (!get_i64(in, j.spec.from_ms) || !get_i64(in, j.spec.to_ms) || !in.be64(j.cursor) ||
      !in.be64(j.end_id) || !in.be64(j.matched) || !in.be64(j.enqueued) || !in.be64(j.delivered) ||
      !get_i64(in, j.created_ms) || !get_i64(in, j.finished_ms) || !in.be32(accounts)) {
    return false;
  }
  for (uint32_t i = 0; i < accounts; ++i) {
    uint32_t id = 0;
    if (!in.be32(id)) return false;
    j.spec.accounts.push_back(AccountId{id});
  }
  if (!get_strings(in, j.spec.types) || !get_strings(in, j.spec.events)) return false;
  if (version == kRowVersion && !get_drop(in, j)) return false;
  return in.rest().empty();
}

}  // namespace

std::string job_key(uint64_t id) {
  std::string k;
  put_be64(k, id);
  return k;
}

// version:u8 crc32c:u32 (of the body) body
std::string job_value(const ReplayJob& j) {
  std::string body;
  put_u8(body, static_cast<uint8_t>(j.state));
  for (uint64_t n : {static_cast<uint64_t>(j.spec.from_ms), static_cast<uint64_t>(j.spec.to_ms),
                     j.cursor, j.end_id, j.matched, j.enqueued, j.delivered,
                     static_cast<uint64_t>(j.created_ms), static_cast<uint64_t>(j.finished_ms)}) {
    put_be64(body, n);
  }
  put_be32(body, static_cast<uint32_t>(j.spec.accounts.size()));
  for (AccountId a : j.spec.accounts) put_be32(body, a.value);
  put_strings(body, j.spec.types);
  put_strings(body, j.spec.events);
  const bool dropping =
      j.state == ReplayState::kCancelling || j.dropped != 0 || j.drop != DropCursor{};
  if (dropping) {
    put_be64(body, j.dropped);
    put_be32(body, j.drop.account);
    put_be64(body, j.drop.seq);
    put_be64(body, j.drop.scanned);
  }
  std::string v;
  put_u8(v, dropping ? kRowVersion : kRowVersionWithoutDrop);
  put_be32(v, crc32c(body));
  v.append(body);
  return v;
}

Result<ReplayJob> parse_job(std::string_view key, std::string_view value) {
  if (key.size() != 8 || value.size() < 5) return Status::corruption("replay job row too short");
  const auto version = static_cast<uint8_t>(value[0]);
  if (version != kRowVersion && version != kRowVersionWithoutDrop)
    return Status::corruption("replay job row has an unknown version");
  std::string_view body = value.substr(5);
  if (crc32c(body) != get_be32(value.data() + 1))
    return Status::corruption("replay job row CRC32C mismatch");
  ReplayJob j;
  j.id = get_be64(key.data());
  ByteReader in(body);
  if (!get_body(in, j, version)) return Status::corruption("replay job row damaged");
  return j;
}

}  // namespace spillway::queue::replay_job::codec
