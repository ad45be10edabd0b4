#include "ingest/auth.h"

#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "ingest/ingest_store.h"

namespace spillway::ingest {
namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

Status unauthorized(std::string message) { return Status::not_found(std::move(message)); }

Result<AccountId> lookup(const IngestStore& store, queue::KeyKind kind, std::string_view secret,
                         const char* what) {
  auto account = store.lookup_credential(kind, secret);
  if (!account && account.status().code() == Status::Code::kNotFound)
    return unauthorized(std::string("unknown ") + what);
  return account;
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character cannot encode a byte
  return out;
}

std::optional<BasicCredentials> parse_basic(std::string_view authorization) {
  authorization = trim(authorization);
  if (!iequals_prefix(authorization, "basic ")) return std::nullopt;
  auto decoded = base64_decode(trim(authorization.substr(6)));
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return BasicCredentials{*decoded, ""};
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::optional<std::string> parse_bearer(std::string_view authorization) {
  authorization = trim(authorization);
  if (!iequals_prefix(authorization, "bearer ")) return std::nullopt;
  auto token = trim(authorization.substr(7));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

bool has_authorization(const HttpRequest& request) {
  return request.header("authorization").has_value();
}

Result<AccountId> authenticate_write_key(const IngestStore& store, const HttpRequest& request,
                                         const nlohmann::json* body) {
  if (auto header = request.header("authorization")) {
    auto basic = parse_basic(*header);
    if (!basic || basic->user.empty())
      return unauthorized("Authorization must be HTTP Basic with the write key as user name");
    return lookup(store, queue::KeyKind::kWriteKey, basic->user, "write key");
  }
  if (body != nullptr && body->is_object()) {
    auto it = body->find("writeKey");
    if (it != body->end() && it->is_string() && !it->get_ref<const std::string&>().empty())
      return lookup(store, queue::KeyKind::kWriteKey, it->get_ref<const std::string&>(),
                    "write key");
  }
  return unauthorized("missing credential: use HTTP Basic auth with the write key as user name");
}

Result<AccountId> authenticate_track_api(const IngestStore& store, const HttpRequest& request) {
  auto header = request.header("authorization");
  if (!header) return unauthorized("missing credential: use HTTP Basic site_id:api_key");
  auto basic = parse_basic(*header);
  if (!basic || basic->user.empty() || basic->password.empty())
    return unauthorized("Authorization must be HTTP Basic site_id:api_key");
  return lookup(store, queue::KeyKind::kTrackApi, basic->user + ":" + basic->password,
                "site id or api key");
}

Status AdminToken::check(const HttpRequest& request) const {
  auto header = request.header("authorization");
  if (!header) return Status::not_found("admin token required (Authorization: Bearer)");
  auto token = parse_bearer(*header);
  if (!token) return Status::not_found("Authorization must be Bearer <admin token>");
  if (!digest_equal(sha256(*token), digest_)) return Status::invalid_argument("wrong admin token");
  return Status::ok();
}

}  // namespace spillway::ingest
