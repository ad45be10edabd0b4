#include "app/status_table.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace spillway::app {
namespace {

using nlohmann::json;

std::string format_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (b >= 1024 && i < 4) {
    b /= 1024;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s" : "%.1f %s", b, units[i]);
  return buf;
}

std::string format_rate(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", r);
  return buf;
}

double number(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

std::string pad(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

std::string account_status(const json& a) {
  if (a.value("paused", false)) return "paused";
  auto err = a.find("last_error");
  if (err != a.end() && err->is_string()) return "error: " + err->get<std::string>().substr(0, 60);
  return a.value("in_flight", false) ? "sending" : "queued";
}

}  // namespace

std::string format_count(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_duration(const json& seconds) {
  if (!seconds.is_number()) return "-";
  auto s = static_cast<uint64_t>(std::max(0.0, seconds.get<double>()) + 0.5);
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%llum %02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lluh %02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llud %lluh", static_cast<unsigned long long>(s / 86400),
                  static_cast<unsigned long long>(s % 86400 / 3600));
  }
  return buf;
}

std::string format_status(const json& backlog) {
  const json& d = backlog.value("drain", json::object());
  const json& t = backlog.value("totals", json::object());
  const json& r = backlog.value("rates", json::object());
  std::ostringstream out;
  double cap = number(d, "max_events_per_sec");
  out << "drain:   " << d.value("state", "-") << ", policy " << d.value("policy", "-")
      << ", concurrency " << number(d, "concurrency_limit") << "/" << number(d, "max_concurrency")
      << " (" << number(d, "in_flight_requests") << " in flight), rate cap "
      << (cap > 0 ? format_rate(cap) + " events/s" : std::string("none")) << "\n";
  out << "backlog: " << format_count(static_cast<uint64_t>(number(t, "events"))) << " events ("
      << format_bytes(number(t, "bytes")) << ") in "
      << format_count(static_cast<uint64_t>(number(t, "accounts_with_backlog"))) << " of "
      << format_count(static_cast<uint64_t>(number(t, "accounts"))) << " accounts, oldest "
      << format_duration(t.value("oldest_age_s", json())) << "; ingest "
      << format_rate(number(r, "ingest_per_s")) << "/s, drain "
      << format_rate(number(r, "drain_per_s")) << "/s; all real-time in "
      << format_duration(d.value("eta_all_s", json())) << "\n";
  const json& accounts = backlog.value("accounts", json::array());
  if (accounts.empty()) return out.str() + "no account is behind\n";
  size_t name_w = 7;
  for (const auto& a : accounts) name_w = std::max(name_w, a.value("name", "").size());
  out << pad("ACCOUNT", name_w, false) << "  " << pad("DEPTH", 12, true) << "  "
      << pad("OLDEST", 8, true) << "  " << pad("RATE/S", 8, true) << "  " << pad("ETA", 8, true)
      << "  STATUS\n";
  for (const auto& a : accounts) {
    out << pad(a.value("name", ""), name_w, false) << "  "
        << pad(format_count(static_cast<uint64_t>(number(a, "depth"))), 12, true) << "  "
        << pad(format_duration(a.value("oldest_age_s", json())), 8, true) << "  "
        << pad(format_rate(number(a, "drain_rate")), 8, true) << "  "
        << pad(format_duration(a.value("eta_s", json())), 8, true) << "  " << account_status(a)
        << "\n";
  }
  return out.str();
}

namespace {

std::string count_of(const json& j, const char* key) {
  return format_count(static_cast<uint64_t>(number(j, key)));
}

std::string node_row(const json& n) {
  std::string url = n.value("url", json()).is_string() ? n["url"].get<std::string>() : "(this)";
  if (!n.value("reachable", false)) return pad(url, 28, false) + " no answer\n";
  json id = n.value("node", json());
  json drain = n.value("drain", json());
  return pad(id.is_string() ? id.get<std::string>() : "?", 10, false) + " " + pad(url, 28, false) +
         " " + pad(drain.is_string() ? drain.get<std::string>() : "-", 13, false) +
         pad(count_of(n, "events"), 14, true) + pad(format_bytes(number(n, "bytes")), 11, true) +
         pad(count_of(n, "accounts_with_backlog"), 8, true) + "  " +
         format_duration(n.value("oldest_age_s", json())) + "\n";
}

// "n1,n2": the nodes holding an account's backlog.
std::string holders(const json& account) {
  std::string out;
  for (const auto& n : account.value("nodes", json::array())) {
    json id = n.value("node", json());
    out += (out.empty() ? "" : ",") + (id.is_string() ? id.get<std::string>() : "?");
  }
  return out;
}

}  // namespace

std::string format_cluster_status(const json& cluster, size_t top) {
  std::string out = pad("NODE", 10, false) + " " + pad("URL", 28, false) + " " +
                    pad("DRAIN", 13, false) + pad("EVENTS", 14, true) + pad("BYTES", 11, true) +
                    pad("BEHIND", 8, true) + "  OLDEST\n";
  for (const auto& n : cluster.value("nodes", json::array())) out += node_row(n);
  const json& t = cluster.value("totals", json::object());
  std::string answered = count_of(t, "answered") + " of " + count_of(t, "nodes") + " nodes";
  out += pad("total", 10, false) + " " + pad(answered, 42, false) +
         pad(count_of(t, "events"), 14, true) + pad(format_bytes(number(t, "bytes")), 11, true) +
         pad("", 8, true) + "  " + format_duration(t.value("oldest_age_s", json())) + "\n";
  const json& accounts = cluster.value("accounts", json::array());
  if (accounts.empty()) return out + "no account is behind\n";
  out += "\n" + pad("ACCOUNT", 24, false) + pad("DEPTH", 14, true) + "  " +
         pad("OLDEST", 9, false) + "NODES\n";
  for (size_t i = 0; i < accounts.size() && i < top; ++i) {
    const json& a = accounts[i];
    out += pad(a.value("name", ""), 24, false) + pad(count_of(a, "depth"), 14, true) + "  " +
           pad(format_duration(a.value("oldest_age_s", json())), 9, false) + holders(a) + "\n";
  }
  return out;
}

}  // namespace spillway::app
