#include "queue/replay_job/event_filter.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace spillway::queue::replay_job {
namespace {

bool listed(const std::vector<std::string>& list, const nlohmann::json& doc, const char* field) {
  if (list.empty()) return true;
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_string()) return false;
  const auto& value = it->get_ref<const std::string&>();
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool matches_filters(const ReplaySpec& spec, AccountId account, std::string_view payload) {
  if (!spec.accounts.empty() &&
      std::find(spec.accounts.begin(), spec.accounts.end(), account) == spec.accounts.end()) {
    return false;
  }
  if (spec.types.empty() && spec.events.empty()) return true;
  auto doc = nlohmann::json::parse(payload, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  return listed(spec.types, doc, "type") && listed(spec.events, doc, "event");
}

}  // namespace spillway::queue::replay_job
