#include "test/ingest/server_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdexcept>

namespace spillway::test {

ServerFixture::ServerFixture(std::vector<std::string> args) : data(dir.sub("data")) {
  server = std::make_unique<ServerProcess>(data, std::move(args));
  if (!server->start()) throw std::runtime_error("server did not start:\n" + server->log());
  client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
  client->set_read_timeout(30, 0);
}

ServerFixture::~ServerFixture() = default;

nlohmann::json ServerFixture::create_account(const std::string& name) {
  httplib::Headers h = {{"Authorization", std::string("Bearer ") + kTestAdminToken}};
  auto r = client->Post("/v1/admin/accounts", h, nlohmann::json{{"name", name}}.dump(),
                        "application/json");
  if (!r || r->status != 201) throw std::runtime_error("create_account failed");
  return nlohmann::json::parse(r->body);
}

httplib::Result ServerFixture::post(const std::string& path, const std::string& body,
                                    const std::string& authorization,
                                    const std::string& content_type, httplib::Headers extra) {
  if (!authorization.empty()) extra.emplace("Authorization", authorization);
  return client->Post(path.c_str(), extra, body, content_type.c_str());
}

std::string ServerFixture::basic(const std::string& user, const std::string& password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = user + ":" + password;
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return "Basic " + out;
}

std::string ServerFixture::raw(const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server->port()));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

int ServerFixture::stop() {
  client.reset();
  return server->stop();
}

nlohmann::json body_of(const httplib::Result& r) {
  if (!r) return nlohmann::json();
  return nlohmann::json::parse(r->body, nullptr, false);
}

std::string error_code(const httplib::Result& r) {
  auto b = body_of(r);
  if (!b.is_object() || !b.contains("error")) return "";
  return b["error"].value("code", "");
}

}  // namespace spillway::test
