#include "queue/record_codec.h"

#include <algorithm>
#include <cstring>

#include "common/bytes.h"
#include "common/crc32c.h"

namespace spillway::queue::codec {
namespace {

constexpr uint8_t kRecordVersion = 1;
constexpr uint8_t kAccountPaused = 0x01;
constexpr uint8_t kDeadFromIngest = 0x01;
constexpr uint8_t kDeadReplayed = 0x02;
constexpr uint8_t kEventReplayed = 0x01;

std::string crc_message(const std::string& what, uint32_t stored, uint32_t actual) {
  return what + " CRC32C mismatch (stored " + std::to_string(stored) + ", computed " +
         std::to_string(actual) + ")";
}

}  // namespace

std::string event_key(AccountId account, Seq seq) {
  std::string k;
  k.reserve(kEventKeySize);
  put_be32(k, account.value);
  put_be64(k, seq.value);
  return k;
}

std::optional<EventKey> parse_event_key(std::string_view key) {
  if (key.size() != kEventKeySize) return std::nullopt;
  return EventKey{AccountId{get_be32(key.data())}, Seq{get_be64(key.data() + 4)}};
}

// A replayed event's CRC covers its mark too (everything after the header).
std::string inbox_key(uint64_t id) {
  std::string k;
  put_be64(k, id);
  return k;
}

std::optional<uint64_t> parse_inbox_key(std::string_view key) {
  if (key.size() != 8) return std::nullopt;
  return get_be64(key.data());
}

std::string inbox_value(AccountId account, Seq seq, std::string_view event_value) {
  std::string v = event_key(account, seq);
  v.append(event_value);
  return v;
}

Result<InboxRow> parse_inbox_value(std::string_view value) {
  auto key = parse_event_key(value.substr(0, std::min(value.size(), kEventKeySize)));
  if (!key) return Status::corruption("inbox row shorter than an event key");
  return InboxRow{*key, value.substr(kEventKeySize)};
}

std::string event_value(std::string_view payload, int64_t enqueue_ms, const ReplayMark& mark) {
  std::string body;
  if (mark.job != 0) {
    put_be64(body, mark.job);
    put_be64(body, mark.seq.value);
    put_be64(body, static_cast<uint64_t>(mark.received_ms));
  }
  std::string v;
  v.reserve(kEventHeaderSize + body.size() + payload.size());
  put_u8(v, kRecordVersion);
  put_u8(v, mark.job != 0 ? kEventReplayed : 0);  // flags
  put_u8(v, 0);                                   // reserved
  put_u8(v, 0);
  put_be32(v, crc32c(payload, crc32c(body)));
  put_be64(v, static_cast<uint64_t>(enqueue_ms));
  v.append(body);
  v.append(payload);
  return v;
}

Result<EventValue> parse_event_value(std::string_view value) {
  if (value.size() < kEventHeaderSize)
    return Status::corruption("event record shorter than header");
  if (static_cast<uint8_t>(value[0]) != kRecordVersion) {
    return Status::corruption("event record has unknown version " +
                              std::to_string(static_cast<uint8_t>(value[0])));
  }
  uint32_t stored = get_be32(value.data() + 4);
  EventValue ev;
  ev.enqueue_ms = static_cast<int64_t>(get_be64(value.data() + 8));
  size_t at = kEventHeaderSize;
  if ((static_cast<uint8_t>(value[1]) & kEventReplayed) != 0) {
    if (value.size() < kEventHeaderSize + kReplayMarkSize)
      return Status::corruption("replayed event record shorter than its mark");
    const char* m = value.data() + kEventHeaderSize;
    ev.replay =
        ReplayMark{get_be64(m), Seq{get_be64(m + 8)}, static_cast<int64_t>(get_be64(m + 16))};
    at += kReplayMarkSize;
  }
  ev.payload = value.substr(at);
  uint32_t actual =
      crc32c(ev.payload, crc32c(value.substr(kEventHeaderSize, at - kEventHeaderSize)));
  if (actual != stored) return Status::corruption(crc_message("event", stored, actual));
  return ev;
}

std::string account_key(AccountId id) {
  std::string k;
  put_be32(k, id.value);
  return k;
}

std::string account_value(const AccountRecord& r) {
  std::string v;
  v.reserve(80 + r.name.size());
  put_u8(v, kRecordVersion);
  put_u8(v, r.paused ? kAccountPaused : 0);
  put_be32(v, r.weight);
  for (uint64_t n : {r.next_seq, r.head_seq, r.depth, r.bytes, static_cast<uint64_t>(r.oldest_ms),
                     r.dead_count, r.dead_bytes, static_cast<uint64_t>(r.created_ms)}) {
    put_be64(v, n);
  }
  put_be32(v, static_cast<uint32_t>(r.name.size()));
  v.append(r.name);
  return v;
}

Result<AccountRecord> parse_account(std::string_view key, std::string_view value) {
  if (key.size() != 4) return Status::corruption("account key has wrong size");
  AccountRecord r;
  r.id = AccountId{get_be32(key.data())};
  ByteReader in(value);
  uint8_t version = 0, flags = 0;
  uint64_t oldest = 0, created = 0;
  uint32_t name_len = 0;
  std::string_view name;
  bool ok = in.u8(version) && version == kRecordVersion && in.u8(flags) && in.be32(r.weight) &&
            in.be64(r.next_seq) && in.be64(r.head_seq) && in.be64(r.depth) && in.be64(r.bytes) &&
            in.be64(oldest) && in.be64(r.dead_count) && in.be64(r.dead_bytes) && in.be64(created) &&
            in.be32(name_len) && in.bytes(name_len, name) && in.rest().empty();
  if (!ok)
    return Status::corruption("account record " + std::to_string(r.id.value) + " is damaged");
  r.paused = (flags & kAccountPaused) != 0;
  r.oldest_ms = static_cast<int64_t>(oldest);
  r.created_ms = static_cast<int64_t>(created);
  r.name = std::string(name);
  return r;
}

std::string u32_value(uint32_t v) {
  std::string s;
  put_be32(s, v);
  return s;
}

Result<uint32_t> parse_u32(std::string_view v) {
  if (v.size() != 4) return Status::corruption("expected a 4-byte value");
  return get_be32(v.data());
}

std::string credential_key(KeyKind kind, std::string_view secret) {
  std::string material(1, static_cast<char>(kind));
  material.append(secret);
  Sha256 h = sha256(material);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

std::string credential_value(AccountId account, KeyKind kind, int64_t created_ms) {
  std::string v;
  put_u8(v, static_cast<uint8_t>(kind));
  put_be32(v, account.value);
  put_be64(v, static_cast<uint64_t>(created_ms));
  return v;
}

Result<AccountId> parse_credential_account(std::string_view value) {
  if (value.size() != 13) return Status::corruption("credential record is damaged");
  return AccountId{get_be32(value.data() + 1)};
}

KeyHash idempotency_hash(std::string_view idempotency_key) {
  Sha256 full = sha256(idempotency_key);
  KeyHash h{};
  std::memcpy(h.data(), full.data(), h.size());
  return h;
}

std::string dedupe_key(AccountId account, const KeyHash& hash) {
  std::string k;
  put_be32(k, account.value);
  k.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  return k;
}

std::string dedupe_value(Seq seq, int64_t expiry_ms) {
  std::string v;
  put_be64(v, seq.value);
  put_be64(v, static_cast<uint64_t>(expiry_ms));
  return v;
}

Result<DedupeValue> parse_dedupe_value(std::string_view value) {
  if (value.size() != 16) return Status::corruption("dedupe record is damaged");
  return DedupeValue{Seq{get_be64(value.data())}, static_cast<int64_t>(get_be64(value.data() + 8))};
}

std::string dedupe_expiry_key(int64_t expiry_ms, AccountId account, const KeyHash& hash) {
  std::string k;
  put_be64(k, static_cast<uint64_t>(expiry_ms));
  k += dedupe_key(account, hash);
  return k;
}

Result<DedupeExpiryKey> parse_dedupe_expiry_key(std::string_view key) {
  if (key.size() != 8 + 4 + 16) return Status::corruption("dedupe expiry key is damaged");
  return DedupeExpiryKey{static_cast<int64_t>(get_be64(key.data())), std::string(key.substr(8))};
}

std::string dead_key(AccountId account, Seq seq) { return event_key(account, seq); }

// A replayed event's mark sits between reason and payload; the CRC covers both, as in events.
std::string dead_value(const DeadLetter& d) {
  std::string mark;
  if (d.replay.job != 0) {
    put_be64(mark, d.replay.job);
    put_be64(mark, d.replay.seq.value);
    put_be64(mark, static_cast<uint64_t>(d.replay.received_ms));
  }
  std::string v;
  v.reserve(40 + d.reason.size() + mark.size() + d.payload.size());
  put_u8(v, kRecordVersion);
  put_u8(v, (d.from_ingest ? kDeadFromIngest : 0) | (mark.empty() ? 0 : kDeadReplayed));
  put_be32(v, d.attempts);
  put_be64(v, static_cast<uint64_t>(d.enqueue_ms));
  put_be64(v, static_cast<uint64_t>(d.dead_ms));
  put_be32(v, crc32c(d.payload, crc32c(mark)));
  put_be32(v, static_cast<uint32_t>(d.reason.size()));
  v.append(d.reason);
  v.append(mark);
  v.append(d.payload);
  return v;
}

Result<DeadLetter> parse_dead(std::string_view key, std::string_view value) {
  auto k = parse_event_key(key);
  if (!k) return Status::corruption("dead letter key has wrong size");
  DeadLetter d;
  d.account = k->account;
  d.seq = k->seq;
  ByteReader in(value);
  uint8_t version = 0, flags = 0;
  uint64_t enq = 0, dead = 0;
  uint32_t crc = 0, reason_len = 0;
  std::string_view reason, mark;
  bool ok = in.u8(version) && version == kRecordVersion && in.u8(flags) && in.be32(d.attempts) &&
            in.be64(enq) && in.be64(dead) && in.be32(crc) && in.be32(reason_len) &&
            in.bytes(reason_len, reason) &&
            ((flags & kDeadReplayed) == 0 || in.bytes(kReplayMarkSize, mark));
  if (!ok) return Status::corruption("dead letter record is damaged");
  d.from_ingest = (flags & kDeadFromIngest) != 0;
  d.enqueue_ms = static_cast<int64_t>(enq);
  d.dead_ms = static_cast<int64_t>(dead);
  d.reason = std::string(reason);
  if (!mark.empty()) {
    d.replay = ReplayMark{get_be64(mark.data()), Seq{get_be64(mark.data() + 8)},
                          static_cast<int64_t>(get_be64(mark.data() + 16))};
  }
  d.payload = std::string(in.rest());
  uint32_t actual = crc32c(d.payload, crc32c(mark));
  if (actual != crc) return Status::corruption(crc_message("dead letter", crc, actual));
  return d;
}

}  // namespace spillway::queue::codec
