#include "app/admin_client.h"

#include <httplib.h>

#include <algorithm>
#include <iostream>

namespace spillway::app {
namespace {

std::string error_message(const nlohmann::json& body, int status) {
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const auto& e = body["error"];
    std::string code = e.value("code", "");
    std::string msg = e.value("message", "");
    return msg + (code.empty() ? "" : " (" + code + ")") + " [HTTP " + std::to_string(status) + "]";
  }
  return "HTTP " + std::to_string(status);
}

httplib::Result send(httplib::Client& c, const std::string& method, const std::string& path,
                     const std::string& body) {
  const char* type = "application/json";
  if (method == "GET") return c.Get(path);
  if (method == "POST") return c.Post(path, body, type);
  if (method == "PUT") return c.Put(path, body, type);
  return c.Delete(path, body, type);
}

// httplib's own names ("Connection", "Read") say little to an operator.
std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "connection failed (refused or unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "connecting timed out";
    case httplib::Error::Read:
      return "no answer (timed out or closed)";
    case httplib::Error::Write:
      return "sending the request failed";
    default:
      return httplib::to_string(e);
  }
}

}  // namespace

AdminClient::AdminClient(const std::string& url, std::string token,
                         std::chrono::milliseconds timeout)
    : url_(url), token_(std::move(token)), client_(std::make_unique<httplib::Client>(url)) {
  client_->set_connection_timeout(
      std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(3)));
  client_->set_read_timeout(timeout);
  client_->set_write_timeout(std::chrono::seconds(30));
  if (!token_.empty()) client_->set_bearer_token_auth(token_);
}

AdminClient::~AdminClient() = default;

ApiReply AdminClient::call(const std::string& method, const std::string& path,
                           const std::optional<nlohmann::json>& body) {
  ApiReply reply;
  if (!client_->is_valid()) {
    reply.exit = kExitUsage;
    reply.error = "bad --url " + url_ + " (expected http://HOST:PORT)";
    return reply;
  }
  auto res = send(*client_, method, path, body ? body->dump() : std::string());
  if (!res) {
    reply.exit = kExitUnreachable;
    reply.error = "cannot reach the server at " + url_ + ": " + describe(res.error());
    return reply;
  }
  reply.http_status = res->status;
  reply.body = nlohmann::json::parse(res->body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  if (res->status >= 200 && res->status < 300) return reply;
  reply.error = error_message(reply.body, res->status);
  if (res->status == 401 || res->status == 403) {
    reply.exit = kExitAuth;
    reply.error = (res->status == 401 ? "the server wants the admin token: "
                                      : "the server refused the admin token: ") +
                  reply.error;
  } else {
    reply.exit = kExitServerError;
  }
  return reply;
}

int report_failure(const std::string& command, const ApiReply& reply) {
  std::cerr << "spillway " << command << ": " << reply.error
            << (reply.exit == kExitUnreachable ? " (is `spillway serve` running? use --url)" : "")
            << "\n";
  return reply.exit;
}

std::string path_segment(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace spillway::app
