#pragma once

#include <string>
#include <vector>

namespace spillway::test {

// One stored event or dead letter read back from a data dir after the server is gone.
struct StoredRow {
  std::string account;  // account name
  uint64_t seq = 0;
  bool dead = false;
  std::string payload;
  std::string message_id;  // payload's messageId ("" when none)
};

// Opens DATA_DIR with queue::Wal (the server must not be running) and returns every queued
// event and dead letter of every account, in account then seq order. Throws on open failure.
std::vector<StoredRow> read_store(const std::string& data_dir);

}  // namespace spillway::test
