#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "queue/types.h"

namespace spillway::queue {

class LmdbEnv;

// Reads the store in short read-only transactions (MDB_NOTLS, never held across a wait);
// every byte is copied out before the transaction ends. Thread-safe: any thread.
class BacklogReader {
 public:
  explicit BacklogReader(LmdbEnv& env) : env_(env) {}
  BacklogReader(const BacklogReader&) = delete;
  BacklogReader& operator=(const BacklogReader&) = delete;

  // The account's queued events with seq >= from, in seq order: at most max_events, and at most
  // max_bytes of payload (but always at least one event when any exists). A damaged event (CRC
  // mismatch) ends the read before it; when it is the first one, the result is kCorruption
  // naming the account and seq (see first_seq() to find it).
  Result<std::vector<StoredEvent>> read(AccountId account, Seq from, uint32_t max_events,
                                        uint64_t max_bytes) const;
  // Seq of the account's first queued event without checking it, or nullopt when empty.
  Result<std::optional<Seq>> first_seq(AccountId account) const;
  // Dead letters of the account, oldest first, at most `limit`.
  Result<std::vector<DeadLetter>> read_dead(AccountId account, uint32_t limit) const;
  // Account owning a credential, or kNotFound. Constant time in the secret's content.
  Result<AccountId> lookup_credential(KeyKind kind, std::string_view secret) const;
  // Reads a `meta` entry; nullopt when absent.
  Result<std::optional<std::string>> meta(std::string_view key) const;

 private:
  LmdbEnv& env_;
};

}  // namespace spillway::queue
