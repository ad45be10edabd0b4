#include "ingest/router.h"

#include <chrono>
#include <exception>

#include "ingest/responses.h"

namespace spillway::ingest {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

bool is_param(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

void Router::add(std::string method, std::string pattern, Handler handler, RouteKind kind) {
  Route r{std::move(method), {}, std::move(handler), pattern, kind};
  for (auto seg : split_path(pattern)) r.segments.emplace_back(seg);
  routes_.push_back(std::move(r));
}

void Router::set_metrics(IngestMetrics& metrics) {
  std::vector<IngestMetrics::Route> labels;
  labels.reserve(routes_.size());
  for (const Route& r : routes_) labels.push_back({r.method, r.pattern, r.kind});
  metrics.set_routes(labels);
  metrics_ = &metrics;
}

Responder Router::counted(size_t index, const Responder& respond) const {
  if (metrics_ == nullptr) return respond;
  const auto start = std::chrono::steady_clock::now();
  return Responder([metrics = metrics_, index, respond, start](HttpResponse r) {
    metrics->count_response(index, r);
    metrics->observe_ingest_latency(
        index, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    respond(std::move(r));
  });
}

namespace {

// Fills params when the route's segments match the path's.
bool match(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
           std::vector<std::pair<std::string, std::string>>& params, bool& bad_escape) {
  if (pattern.size() != path.size()) return false;
  std::vector<std::pair<std::string, std::string>> found;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (!is_param(pattern[i])) {
      if (pattern[i] != path[i]) return false;
      continue;
    }
    auto decoded = percent_decode(path[i]);
    if (!decoded) bad_escape = true;
    found.emplace_back(pattern[i].substr(1, pattern[i].size() - 2), decoded.value_or(""));
  }
  params = std::move(found);
  return true;
}

}  // namespace

void Router::dispatch(HttpRequest request, const Responder& plain) const {
  auto path = split_path(request.path);
  std::string allow;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    std::vector<std::pair<std::string, std::string>> params;
    bool bad_escape = false;
    if (!match(route.segments, path, params, bad_escape)) continue;
    if (route.method != request.method) {
      allow += (allow.empty() ? "" : ", ") + route.method;
      continue;
    }
    Responder respond = counted(i, plain);
    if (bad_escape) return respond(error_response(400, "invalid_path", "malformed %-escape"));
    request.params = std::move(params);
    try {
      route.handler(std::move(request), respond);
    } catch (const std::exception&) {
      respond(error_response(500, "internal", "internal error"));
    }
    return;
  }
  Responder respond = counted(IngestMetrics::kUnrouted, plain);
  if (allow.empty()) return respond(error_response(404, "not_found", "no such route"));
  HttpResponse r = error_response(405, "method_not_allowed", "method not allowed; use " + allow);
  r.headers.emplace_back("Allow", allow);
  respond(std::move(r));
}

}  // namespace spillway::ingest
