#pragma once

#include <string>

#include "common/logger.h"
#include "common/result.h"

namespace spillway::app {

// Resolves the admin token, in order: $SPILLWAY_ADMIN_TOKEN; the file named by
// --admin-token-file; DATA_DIR/admin.token; else a new random token written there with mode
// 0600 (O_EXCL, fsynced). Logs where the token came from (the path, never the token).
// Errors: kInvalidArgument for an unreadable or empty token file, kIoError when writing fails.
Result<std::string> resolve_admin_token(const std::string& token_file, const std::string& data_dir,
                                        Logger& logger);

}  // namespace spillway::app
