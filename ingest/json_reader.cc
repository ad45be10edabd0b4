#include "ingest/json_reader.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace spillway::ingest {
namespace {

using json = nlohmann::json;
using DomBuilder = nlohmann::detail::json_sax_dom_parser<json>;

// Forwards SAX events to nlohmann's DOM builder, refusing to open a container past the depth
// limit and capturing the first error. Returning false stops the parser at once.
class BoundedDomBuilder {
 public:
  BoundedDomBuilder(json& root, uint32_t max_depth) : dom_(root, false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const std::string& s) {
    if (!std::isfinite(v)) return fail("number out of range: " + s.substr(0, 32));
    return dom_.number_float(v, s);
  }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
  bool key(std::string& v) { return dom_.key(v); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& /*token*/,
                   const nlohmann::detail::exception& ex) {
    error_ = "invalid JSON at byte " + std::to_string(position) + ": " + clean(ex.what());
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      return fail("JSON nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    return true;
  }
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }
  // nlohmann's what() reads "[json.exception.parse_error.101] parse error at line 1, ...";
  // keep the part after the bracket tag.
  static std::string clean(std::string_view what) {
    auto pos = what.find("] ");
    if (pos != std::string_view::npos) what.remove_prefix(pos + 2);
    return std::string(what.substr(0, 300));
  }

  DomBuilder dom_;
  uint32_t max_depth_;
  uint32_t depth_ = 0;
  std::string error_;
};

}  // namespace

Result<json> parse_json(std::string_view text, uint32_t max_depth) {
  json root;
  BoundedDomBuilder builder(root, max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const std::exception& ex) {
    return Status::invalid_argument(std::string("invalid JSON: ") + ex.what());
  }
  if (!ok) {
    std::string e = builder.error().empty() ? "invalid JSON" : builder.error();
    return Status::invalid_argument(std::move(e));
  }
  return root;
}

Result<std::vector<json>> parse_ndjson(std::string_view text, uint32_t max_depth) {
  std::vector<json> out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto value = parse_json(line, max_depth);
    if (!value) {
      return Status::invalid_argument("line " + std::to_string(line_no) + ": " +
                                      value.status().message());
    }
    out.push_back(std::move(value).value());
  }
  return out;
}

}  // namespace spillway::ingest
