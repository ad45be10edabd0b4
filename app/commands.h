#pragma once

#include <string>
#include <vector>

namespace spillway::app {

// The client and maintenance subcommands of the spillway binary, one file each. Each takes
// the arguments after its name and returns the process exit code (app/exit_codes.h).

// `spillway status [--url URL] [--data DIR] [--top N] [--sort depth|age|eta] [--json]`
int status_main(const std::vector<std::string>& args);
// `spillway pause [ACCOUNT]` / `spillway resume [ACCOUNT]`: all draining, or one account.
int pause_main(const std::vector<std::string>& args, bool pause);
// `spillway accounts create NAME [--weight N]` / `spillway accounts list`
int accounts_main(const std::vector<std::string>& args);
// `spillway dead list|replay|purge ACCOUNT [--limit N]`
int dead_main(const std::vector<std::string>& args);
// `spillway limits [--rate N] [--concurrency N]`
int limits_main(const std::vector<std::string>& args);
// `spillway node status|drain|undrain [--wait SECONDS]`: scale-down of one node.
int node_main(const std::vector<std::string>& args);
// `spillway verify DATA_DIR`: offline integrity check.
int verify_main(const std::vector<std::string>& args);
// `spillway upgrade DATA_DIR`: moves an older store format to this build's, offline.
int upgrade_main(const std::vector<std::string>& args);
// `spillway replay --from T --to T [...] | list | cancel ID`: replay jobs (admin API).
int replay_main(const std::vector<std::string>& args);
// `spillway backup DATA_DIR OUT_DIR [--url URL]`: compacting copy, then verified.
int backup_main(const std::vector<std::string>& args);

}  // namespace spillway::app
