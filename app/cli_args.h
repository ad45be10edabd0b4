#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace spillway::app {

// The command line of a client subcommand: positional words and "--key value" /
// "--key=value" options and value-less flags from fixed sets; "--help"/"-h" sets `help`. Copyable
// value type.
struct CliArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool help = false;

  std::optional<std::string> option(const std::string& key) const;
  // --url (default http://127.0.0.1:8080) without a trailing slash.
  std::string url() const;
  // --data (default ./spillway-data).
  std::string data_dir() const;
};

// `known_flags` take no value and are stored as "1". Errors: kInvalidArgument naming an
// unknown option or one missing its value.
Result<CliArgs> parse_cli_args(const std::vector<std::string>& args,
                               const std::set<std::string>& known_options,
                               const std::set<std::string>& known_flags = {});

// The admin token for client commands: $SPILLWAY_ADMIN_TOKEN, else DATA_DIR/admin.token
// (trimmed). kNotFound naming both places when neither has one.
Result<std::string> client_admin_token(const std::string& data_dir);

}  // namespace spillway::app
