#include "app/accounts_file.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/digest.h"

namespace spillway::app {
namespace {

using json = nlohmann::json;

constexpr uint32_t kMaxWeight = 1000;
constexpr size_t kMaxName = 128;

// The same alphabet the store accepts for account names (queue/detail/account_ops.cc) minus
// ':' and '@', so a name is also safe in a URL path and a Prometheus label.
bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxName) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_digest(const std::string& hex) {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Names entry `i` in an error message: accounts[3] ("acme").
std::string where(size_t i, const json& entry) {
  std::string out = "accounts[" + std::to_string(i) + "]";
  auto name = entry.find("name");
  if (name != entry.end() && name->is_string()) out += " (\"" + name->get<std::string>() + "\")";
  return out;
}

Result<std::optional<std::string>> digest_field(const json& entry, const char* field) {
  auto it = entry.find(field);
  if (it == entry.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string() || !valid_digest(it->get<std::string>()))
    return Status::invalid_argument(std::string(field) +
                                    " must be 64 lowercase hex digits (SHA-256)");
  return std::optional<std::string>(it->get<std::string>());
}

Result<AccountEntry> parse_entry(const json& entry) {
  if (!entry.is_object()) return Status::invalid_argument("must be a JSON object");
  for (const auto& [key, value] : entry.items()) {
    if (key != "name" && key != "weight" && key != "write_key_sha256" && key != "track_api_sha256")
      return Status::invalid_argument("unknown key \"" + key + "\"");
  }
  AccountEntry out;
  auto name = entry.find("name");
  if (name == entry.end() || !name->is_string() || !valid_name(name->get<std::string>()))
    return Status::invalid_argument("name must be 1..128 of [A-Za-z0-9._-]");
  out.name = name->get<std::string>();
  auto weight = entry.value("weight", json(1));
  if (!weight.is_number_integer() || weight.get<int64_t>() < 1 ||
      weight.get<int64_t>() > kMaxWeight)
    return Status::invalid_argument("weight must be an integer in 1..1000");
  out.weight = weight.get<uint32_t>();
  auto wk = digest_field(entry, "write_key_sha256");
  if (!wk) return wk.status();
  auto track = digest_field(entry, "track_api_sha256");
  if (!track) return track.status();
  out.write_key_sha256 = *wk;
  out.track_api_sha256 = *track;
  return out;
}

// Two accounts sharing a name or a digest would make a credential's account ambiguous.
Status check_unique(const AccountEntry& e, std::set<std::string>& names,
                    std::set<std::string>& digests) {
  if (!names.insert(e.name).second) return Status::invalid_argument("duplicate name");
  for (const auto* d : {&e.write_key_sha256, &e.track_api_sha256}) {
    if (*d && !digests.insert(**d).second)
      return Status::invalid_argument("a digest also used by another account");
  }
  return Status::ok();
}

Result<const json*> accounts_array(const json& doc) {
  if (doc.is_discarded() || !doc.is_object()) return Status::invalid_argument("not a JSON object");
  for (const auto& [key, value] : doc.items()) {
    if (key != "version" && key != "accounts")
      return Status::invalid_argument("unknown key \"" + key + "\"");
  }
  auto version = doc.find("version");
  if (version == doc.end() || *version != 1)
    return Status::invalid_argument("\"version\" must be 1");
  auto accounts = doc.find("accounts");
  if (accounts == doc.end() || !accounts->is_array())
    return Status::invalid_argument("\"accounts\" must be an array");
  return &*accounts;
}

}  // namespace

Result<AccountsFile> parse_accounts_file(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  auto accounts = accounts_array(doc);
  if (!accounts) return accounts.status();
  AccountsFile out;
  std::set<std::string> names, digests;
  for (size_t i = 0; i < (*accounts)->size(); ++i) {
    const json& entry = (**accounts)[i];
    auto parsed = parse_entry(entry);
    Status s = parsed ? check_unique(*parsed, names, digests) : parsed.status();
    if (!s.is_ok()) return Status::invalid_argument(where(i, entry) + ": " + s.message());
    out.accounts.push_back(std::move(*parsed));
  }
  return out;
}

Result<AccountsFile> load_accounts_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::invalid_argument(path + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = parse_accounts_file(ss.str());
  if (!parsed) return Status::invalid_argument(path + ": " + parsed.status().message());
  return parsed;
}

std::string secret_digest(std::string_view secret) {
  Sha256 h = sha256(secret);
  return to_hex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

std::string accounts_file_entry(const std::string& name, uint32_t weight,
                                const std::string& write_key, const std::string& track_api) {
  json entry = {{"name", name},
                {"weight", weight},
                {"write_key_sha256", secret_digest(write_key)},
                {"track_api_sha256", secret_digest(track_api)}};
  return entry.dump();
}

}  // namespace spillway::app
