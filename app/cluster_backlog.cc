#include "app/cluster_backlog.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

namespace spillway::app {
namespace {

using nlohmann::json;

// The member `key` of an object, or null (a peer of another version may lack a field).
const json& field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it != j.end() ? *it : kNull;
}

double number(const json& j, const char* key) {
  const json& v = field(j, key);
  return v.is_number() ? v.get<double>() : 0;
}

uint64_t count(const json& j, const char* key) {
  const json& v = field(j, key);
  return v.is_number() && v.get<double>() > 0 ? v.get<uint64_t>() : 0;
}

std::string node_id(const NodeReport& r) {
  const json& id = field(r.backlog, "node");
  if (id.is_string()) return id.get<std::string>();
  const json& fallback = field(r.node, "node");
  return fallback.is_string() ? fallback.get<std::string>() : std::string();
}

// One account summed over the nodes that hold it. Copyable.
struct AccountAcross {
  uint64_t depth = 0, bytes = 0, dead = 0;
  double drain_rate = 0, oldest_age_s = 0;
  bool paused = false;
  json nodes = json::array();
};

// The running sums; `add` takes one counted node's backlog.
struct ClusterSums {
  uint64_t events = 0, bytes = 0, behind = 0, dead = 0;
  double ingest = 0, drain = 0;
  json oldest_age_s;  // null until a node is counted
  std::map<std::string, AccountAcross> accounts;

  void add(const std::string& id, const json& backlog) {
    const json& t = field(backlog, "totals");
    const json& r = field(backlog, "rates");
    events += count(t, "events");
    bytes += count(t, "bytes");
    behind += count(t, "accounts_with_backlog");
    dead += count(t, "dead_letters");
    ingest += number(r, "ingest_per_s");
    drain += number(r, "drain_per_s");
    oldest_age_s = std::max(oldest_age_s.is_number() ? oldest_age_s.get<double>() : 0.0,
                            number(t, "oldest_age_s"));
    const json& list = field(backlog, "accounts");
    if (!list.is_array()) return;
    for (const json& a : list) add_account(id, a);
  }

  void add_account(const std::string& id, const json& a) {
    const json& name = field(a, "name");
    if (!name.is_string()) return;
    AccountAcross& x = accounts[name.get<std::string>()];
    x.depth += count(a, "depth");
    x.bytes += count(a, "bytes");
    x.dead += count(a, "dead_letters");
    x.drain_rate += number(a, "drain_rate");
    x.oldest_age_s = std::max(x.oldest_age_s, number(a, "oldest_age_s"));
    x.paused = x.paused || field(a, "paused") == true;
    x.nodes.push_back({{"node", id.empty() ? json() : json(id)}, {"depth", count(a, "depth")}});
  }
};

json node_entry(const NodeReport& r, const std::string& id, bool counted, std::string error) {
  const json& t = field(r.backlog, "totals");
  const json& rates = field(r.backlog, "rates");
  bool reachable = r.backlog.is_object();
  return {{"node", id.empty() ? json() : json(id)},
          {"url", r.url.empty() ? json() : json(r.url)},
          {"self", r.url.empty()},
          {"reachable", reachable},
          {"counted", counted},
          {"state", field(r.node, "state")},
          {"drain", field(field(r.backlog, "drain"), "state")},
          {"events", count(t, "events")},
          {"bytes", count(t, "bytes")},
          {"accounts_with_backlog", count(t, "accounts_with_backlog")},
          {"dead_letters", count(t, "dead_letters")},
          {"oldest_age_s", reachable ? field(t, "oldest_age_s") : json()},
          {"ingest_per_s", number(rates, "ingest_per_s")},
          {"drain_per_s", number(rates, "drain_per_s")},
          {"error", error.empty() ? json() : json(std::move(error))}};
}

json accounts_json(const std::map<std::string, AccountAcross>& accounts, size_t top) {
  std::vector<std::pair<std::string, const AccountAcross*>> order;
  for (const auto& [name, a] : accounts) order.emplace_back(name, &a);
  std::stable_sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    return x.second->depth > y.second->depth;  // ties stay in name order (the map's)
  });
  json out = json::array();
  for (size_t i = 0; i < order.size() && i < top; ++i) {
    const AccountAcross& a = *order[i].second;
    out.push_back({{"name", order[i].first},
                   {"depth", a.depth},
                   {"bytes", a.bytes},
                   {"oldest_age_s", a.oldest_age_s},
                   {"dead_letters", a.dead},
                   {"drain_rate", a.drain_rate},
                   {"paused", a.paused},
                   {"nodes", a.nodes}});
  }
  return out;
}

// `answered`: nodes that sent a backlog (counted or not).
json totals_json(const ClusterSums& s, size_t nodes, size_t answered) {
  return {{"nodes", nodes},
          {"answered", answered},
          {"partial", answered < nodes},
          {"events", s.events},
          {"bytes", s.bytes},
          {"accounts_with_backlog", s.behind},
          {"dead_letters", s.dead},
          {"oldest_age_s", s.oldest_age_s},
          {"ingest_per_s", s.ingest},
          {"drain_per_s", s.drain}};
}

}  // namespace

json cluster_backlog_json(const std::vector<NodeReport>& reports, size_t top) {
  ClusterSums sums;
  size_t answered = 0;
  std::set<std::string> seen;
  json nodes = json::array();
  for (const NodeReport& r : reports) {
    std::string id = node_id(r);
    std::string error = r.error;
    if (r.backlog.is_object()) ++answered;
    if (!r.backlog.is_object() && error.empty()) error = "no answer";
    bool counted = error.empty() && (id.empty() || seen.insert(id).second);
    if (error.empty() && !counted) error = "node id " + id + " already counted (listed twice?)";
    if (counted) sums.add(id, r.backlog);
    nodes.push_back(node_entry(r, id, counted, std::move(error)));
  }
  return {{"nodes", std::move(nodes)},
          {"totals", totals_json(sums, reports.size(), answered)},
          {"accounts", accounts_json(sums.accounts, top)}};
}

}  // namespace spillway::app
