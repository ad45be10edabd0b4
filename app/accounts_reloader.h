#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <string>

#include "common/logger.h"
#include "common/status.h"

namespace spillway::app {

class FileAccountStore;

// Keeps a FileAccountStore in step with its accounts file: load_now() at startup (blocking;
// the caller refuses to start on an error), then on every SIGHUP a reload that keeps the old
// set and logs why when the new file is refused. Without a file (empty path) SIGHUP is caught
// and ignored, so a signal meant for a cluster's nodes never ends one. Lifecycle: construct ->
// load_now() -> start() -> stop() before the io_context stops. The signal handler runs on an io
// thread and never blocks it (the store writes complete on the writer thread). Borrows everything.
class AccountsReloader {
 public:
  AccountsReloader(boost::asio::io_context& ioc, FileAccountStore& store, std::string path,
                   Logger& log);
  AccountsReloader(const AccountsReloader&) = delete;
  AccountsReloader& operator=(const AccountsReloader&) = delete;

  // Loads and applies the file, waiting for the store writes. Errors name the file.
  Status load_now();
  void start();
  void stop();

 private:
  void arm();
  void reload();

  boost::asio::signal_set hup_;
  FileAccountStore& store_;
  std::string path_;
  Logger& log_;
};

}  // namespace spillway::app
