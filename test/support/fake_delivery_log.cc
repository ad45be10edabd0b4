#include "test/support/fake_delivery_log.h"

#include <cerrno>
#include <cstring>

namespace spillway::test {
namespace {

// RFC 4180 quoting, only when needed.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

FakeDeliveryLog::~FakeDeliveryLog() {
  if (csv_ != nullptr) std::fclose(csv_);
}

Status FakeDeliveryLog::open_csv(const std::string& path, bool with_message_id, bool with_replay) {
  std::lock_guard<std::mutex> lock(mu_);
  csv_ = std::fopen(path.c_str(), "w");
  if (csv_ == nullptr) return Status::io_error("open " + path + ": " + std::strerror(errno));
  csv_message_id_ = with_message_id;
  csv_replay_ = with_replay;
  std::fputs("timestamp,account,seq,enqueue_time", csv_);
  if (with_message_id) std::fputs(",message_id", csv_);
  if (with_replay) std::fputs(",replay_id,original_seq", csv_);
  std::fputc('\n', csv_);
  std::fflush(csv_);
  return Status::ok();
}

void FakeDeliveryLog::record_accepted(std::vector<FakeDelivery> batch) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.accepted_batches++;
  for (auto& d : batch) {
    stats_.accepted_events++;
    if (seen_.emplace(d.account, d.seq).second) {
      stats_.unique_events++;
    } else {
      stats_.duplicate_events++;
    }
    if (csv_ != nullptr) {
      std::fprintf(csv_, "%.6f,%s,%llu,%.3f", d.delivered_at, csv_field(d.account).c_str(),
                   static_cast<unsigned long long>(d.seq),
                   static_cast<double>(d.received_at_ms) / 1000.0);
      if (csv_message_id_) std::fprintf(csv_, ",%s", csv_field(d.message_id).c_str());
      if (csv_replay_ && d.replay_id != 0) {
        std::fprintf(csv_, ",%llu,%llu", static_cast<unsigned long long>(d.replay_id),
                     static_cast<unsigned long long>(d.original_seq));
      } else if (csv_replay_) {
        std::fputs(",,", csv_);
      }
      std::fputc('\n', csv_);
    }
    accepted_.push_back(std::move(d));
  }
  if (csv_ != nullptr) std::fflush(csv_);
}

void FakeDeliveryLog::record_ambiguous(std::vector<FakeDelivery> batch) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.ambiguous_batches++;
  stats_.ambiguous_events += batch.size();
  for (auto& d : batch) ambiguous_.push_back(std::move(d));
}

FakeStats FakeDeliveryLog::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<FakeDelivery> FakeDeliveryLog::accepted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

std::vector<FakeDelivery> FakeDeliveryLog::ambiguous() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ambiguous_;
}

void FakeDeliveryLog::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_ = FakeStats{};
  accepted_.clear();
  ambiguous_.clear();
  seen_.clear();
}

}  // namespace spillway::test
