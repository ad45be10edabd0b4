#include "ingest/quota_refusal_log.h"

namespace spillway::ingest {
namespace {

bool is_global_quota(const Status& s) {
  return s.code() == Status::Code::kUnavailable &&
         s.message().find("global byte quota") != std::string::npos;
}

}  // namespace

void QuotaRefusalLog::refused(AccountId account, const Status& status) {
  uint32_t key = 0;
  if (status.code() == Status::Code::kResourceExhausted) {
    key = account.value;
  } else if (!is_global_quota(status)) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = refusing_.try_emplace(key, 0);
  it->second += 1;
  if (!inserted) return;
  active_.fetch_add(1, std::memory_order_relaxed);
  started(key, status);
}

void QuotaRefusalLog::started(uint32_t key, const Status& status) {
  if (key == kGlobal) {
    log_.warn("ingest", "quota refusals started: global byte quota reached",
              {{"error", status.message()}});
  } else {
    log_.warn("ingest", "quota refusals started: account over its byte quota",
              {{"account_id", key}, {"error", status.message()}});
  }
}

void QuotaRefusalLog::accepted(AccountId account) {
  if (active_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (uint32_t key : {kGlobal, account.value}) {
    auto it = refusing_.find(key);
    if (it == refusing_.end()) continue;
    log_.info("ingest",
              key == kGlobal ? "quota refusals stopped: global quota has room"
                             : "quota refusals stopped: account accepted again",
              {{"account_id", key}, {"refused", it->second}});
    refusing_.erase(it);
    active_.fetch_sub(1, std::memory_order_relaxed);
  }
}

}  // namespace spillway::ingest
