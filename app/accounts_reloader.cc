#include "app/accounts_reloader.h"

#include <csignal>
#include <future>

#include "app/accounts_file.h"
#include "app/file_account_store.h"

namespace spillway::app {
namespace {

constexpr std::string_view kTag = "accounts";

}  // namespace

AccountsReloader::AccountsReloader(boost::asio::io_context& ioc, FileAccountStore& store,
                                   std::string path, Logger& log)
    : hup_(ioc), store_(store), path_(std::move(path)), log_(log) {}

Status AccountsReloader::load_now() {
  auto file = load_accounts_file(path_);
  if (!file) return file.status();
  size_t count = file->accounts.size();
  std::promise<Status> applied;
  store_.apply(std::move(*file), [&applied](Status s) { applied.set_value(s); });
  Status s = applied.get_future().get();
  if (!s.is_ok()) return Status::invalid_argument(path_ + ": " + s.message());
  log_.info(kTag, "accounts file loaded", {{"file", path_}, {"accounts", count}});
  return Status::ok();
}

void AccountsReloader::start() {
  boost::system::error_code ec;
  hup_.add(SIGHUP, ec);
  if (ec) {
    log_.error(kTag, "cannot handle SIGHUP", {{"error", ec.message()}});
    return;
  }
  arm();
}

void AccountsReloader::stop() {
  boost::system::error_code ec;
  hup_.cancel(ec);
}

void AccountsReloader::arm() {
  hup_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;  // cancelled by stop()
    reload();
    arm();
  });
}

void AccountsReloader::reload() {
  if (path_.empty()) {
    log_.info(kTag, "SIGHUP ignored: no --accounts-file");
    return;
  }
  auto file = load_accounts_file(path_);
  if (!file) {
    log_.error(kTag, "accounts file refused, keeping the previous set",
               {{"error", file.status().message()}});
    return;
  }
  size_t count = file->accounts.size();
  store_.apply(std::move(*file), [this, count](Status s) {
    if (!s.is_ok()) {
      log_.error(kTag, "accounts file refused, keeping the previous set",
                 {{"file", path_}, {"error", s.message()}});
      return;
    }
    log_.info(kTag, "accounts file reloaded", {{"file", path_}, {"accounts", count}});
  });
}

}  // namespace spillway::app
