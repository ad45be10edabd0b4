#pragma once

#include <string>

#include "common/result.h"
#include "queue/store_check.h"

namespace spillway::app {

// Opens DATA_DIR read-only (shared lock: refused while a server holds it) and walks it with
// check_store. Errors: kUnavailable when a server holds the directory, kNotFound when it does
// not exist, kCorruption/kIoError when LMDB cannot open it; damage goes into the report.
Result<queue::StoreReport> check_store_dir(const std::string& dir);
// The report as the few lines `spillway verify` and `spillway backup` print.
std::string format_report(const std::string& dir, const queue::StoreReport& report);

}  // namespace spillway::app
