#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/digest.h"
#include "common/ids.h"
#include "common/result.h"
#include "queue/account_record.h"
#include "queue/types.h"

// Byte layouts of every key and value in the store. docs/storage.md is the specification;
// change both together and bump kFormatVersion when a layout changes.
namespace spillway::queue::codec {

inline constexpr uint32_t kFormatVersion = 4;
inline constexpr size_t kEventKeySize = 12;     // account u32 BE + seq u64 BE
inline constexpr size_t kEventHeaderSize = 16;  // version, flags, reserved, crc32c, enqueue_ms
inline constexpr size_t kReplayMarkSize = 24;   // job u64, original seq u64, received i64
inline constexpr size_t kMaxAccountName = 128;

inline constexpr std::string_view kMetaFormatVersion = "format_version";
inline constexpr std::string_view kMetaNextAccountId = "next_account_id";
inline constexpr std::string_view kMetaHeartbeat = "heartbeat";

std::string event_key(AccountId account, Seq seq);
// The smallest key of an account: seek here to find its first event.
inline std::string account_prefix_key(AccountId account) { return event_key(account, Seq{0}); }
struct EventKey {
  AccountId account;
  Seq seq;
};
std::optional<EventKey> parse_event_key(std::string_view key);

// `mark.job != 0` sets the replayed flag and stores the mark between header and payload.
std::string event_value(std::string_view payload, int64_t enqueue_ms, const ReplayMark& mark = {});
struct EventValue {
  int64_t enqueue_ms = 0;
  std::string_view payload;  // borrowed from the input
  ReplayMark replay;
};
// kCorruption for a short header, an unknown version or a CRC mismatch.
Result<EventValue> parse_event_value(std::string_view value);

// The inbox (format version 4): a global row id, big-endian so that MDB_APPEND keeps order.
// The value is the event's key and value as they will be in `events`.
std::string inbox_key(uint64_t id);
std::optional<uint64_t> parse_inbox_key(std::string_view key);
std::string inbox_value(AccountId account, Seq seq, std::string_view event_value);
struct InboxRow {
  EventKey key;
  std::string_view event_value;  // borrowed from the input
};
// kCorruption for a row too short to hold an event key.
Result<InboxRow> parse_inbox_value(std::string_view value);

std::string account_key(AccountId id);
std::string account_value(const AccountRecord& record);
Result<AccountRecord> parse_account(std::string_view key, std::string_view value);

std::string u32_value(uint32_t v);
Result<uint32_t> parse_u32(std::string_view v);

// Credentials are stored only as SHA-256 over the kind and the secret.
std::string credential_key(KeyKind kind, std::string_view secret);
std::string credential_value(AccountId account, KeyKind kind, int64_t created_ms);
Result<AccountId> parse_credential_account(std::string_view value);

using KeyHash = std::array<uint8_t, 16>;
KeyHash idempotency_hash(std::string_view idempotency_key);
// Format version 1's index, read only by the upgrade (queue/dedupe/legacy_upgrade.h) and
// written only by its tests.
std::string dedupe_key(AccountId account, const KeyHash& hash);
std::string dedupe_value(Seq seq, int64_t expiry_ms);
struct DedupeValue {
  Seq seq;
  int64_t expiry_ms = 0;
};
Result<DedupeValue> parse_dedupe_value(std::string_view value);
std::string dedupe_expiry_key(int64_t expiry_ms, AccountId account, const KeyHash& hash);
struct DedupeExpiryKey {
  int64_t expiry_ms = 0;
  std::string dedupe_key;
};
Result<DedupeExpiryKey> parse_dedupe_expiry_key(std::string_view key);

std::string dead_key(AccountId account, Seq seq);
std::string dead_value(const DeadLetter& dead);
// kCorruption on a damaged record or CRC mismatch.
Result<DeadLetter> parse_dead(std::string_view key, std::string_view value);

}  // namespace spillway::queue::codec
