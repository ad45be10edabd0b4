#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace spillway::app {

// One account of the declarative accounts file (docs/cluster.md, format version 1). The
// credentials are kept only as lowercase hex SHA-256 digests of the secret: the write key, and
// "site_id:api_key" for the Track API. An entry without any digest is a retired account: it
// takes no new events, and what it still holds drains. Copyable value type.
struct AccountEntry {
  std::string name;
  uint32_t weight = 1;
  std::optional<std::string> write_key_sha256;
  std::optional<std::string> track_api_sha256;
  bool operator==(const AccountEntry&) const = default;
};

// The whole file: every account a node may hold, in file order. Copyable value type.
struct AccountsFile {
  std::vector<AccountEntry> accounts;
  bool operator==(const AccountsFile&) const = default;
};

// Parses and validates the file's text: {"version":1,"accounts":[{"name","weight"?,
// "write_key_sha256"?,"track_api_sha256"?}, ...]}. Unknown keys, duplicate names or digests,
// bad names, weights outside 1..1000 and digests that are not 64 hex digits are errors
// (kInvalidArgument naming the entry and the field).
Result<AccountsFile> parse_accounts_file(std::string_view text);

// Reads and parses `path`; errors start with the path.
Result<AccountsFile> load_accounts_file(const std::string& path);

// The file entry for new credentials, as one JSON object on one line.
std::string accounts_file_entry(const std::string& name, uint32_t weight,
                                const std::string& write_key, const std::string& track_api);

// Lowercase hex SHA-256 of `secret`: what `printf %s SECRET | sha256sum` prints.
std::string secret_digest(std::string_view secret);

}  // namespace spillway::app
