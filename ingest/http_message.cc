#include "ingest/http_message.h"

#include <atomic>

namespace spillway::ingest {

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

size_t HttpRequest::header_count(std::string_view name) const {
  size_t n = 0;
  for (const auto& h : headers) n += h.first == name ? 1 : 0;
  return n;
}

std::optional<std::string_view> HttpRequest::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

struct Responder::State {
  explicit State(Send s) : send(std::move(s)) {}
  ~State() {
    if (!done.exchange(true) && send) {
      send(HttpResponse{500,
                        R"({"success":false,"error":{"code":"internal","message":"no response"}})",
                        "application/json",
                        {},
                        true,
                        "internal"});
    }
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  Send send;
  std::atomic<bool> done{false};
};

Responder::Responder(Send send) : state_(std::make_shared<State>(std::move(send))) {}

void Responder::operator()(HttpResponse response) const {
  if (state_->done.exchange(true)) return;
  state_->send(std::move(response));
}

bool Responder::sent() const { return state_->done.load(); }

}  // namespace spillway::ingest
