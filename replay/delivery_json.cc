#include "replay/delivery_json.h"

#include <cstdio>

#include "common/rfc3339.h"

namespace spillway::replay {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, min = 0x80, cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800, cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, min = 0x10000, cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6u) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void append_escaped_char(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  if (c < 0x20 || c == 0x7F) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
    out += buf;
  } else {
    out += static_cast<char>(c);
  }
}

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      append_escaped_char(out, c);
      ++i;
      continue;
    }
    const size_t len = utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
}

// Appends the per-event object; `batch_id` first when given (file sink lines).
void append_event(std::string& out, const DeliveryItem& item, const std::string* batch_id,
                  const std::string& node) {
  out += '{';
  if (batch_id != nullptr) {
    out += "\"batch_id\":";
    append_quoted(out, *batch_id);
    out += ',';
  }
  out += "\"account\":";
  append_quoted(out, item.account_name);
  out += ",\"seq\":";
  out += std::to_string(item.seq.value);
  out += ",\"received_at\":\"";
  out += format_rfc3339_ms(item.received_ms);
  out += "\",\"received_at_ms\":";
  out += std::to_string(item.received_ms);
  if (item.replay_id != 0) {
    out += ",\"replay_id\":";
    out += std::to_string(item.replay_id);
    out += ",\"original_seq\":";
    out += std::to_string(item.original_seq.value);
  }
  if (!node.empty()) {
    out += ",\"node\":";
    append_quoted(out, node);
  }
  out += ",\"event\":";
  out += item.payload.empty() ? std::string_view("null") : std::string_view(item.payload);
  out += '}';
}

size_t estimate_size(const DeliveryBatch& batch) {
  size_t n = 32 + batch.batch_id.size();
  for (const auto& item : batch.items)
    n += 128 + batch.batch_id.size() + item.account_name.size() + item.payload.size();
  return n;
}

}  // namespace

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_quoted(out, s);
  return out;
}

std::string encode_batch_body(const DeliveryBatch& batch) {
  std::string out;
  out.reserve(estimate_size(batch));
  out += "{\"batch_id\":";
  append_quoted(out, batch.batch_id);
  out += ",\"events\":[";
  for (size_t i = 0; i < batch.items.size(); ++i) {
    if (i > 0) out += ',';
    append_event(out, batch.items[i], nullptr, batch.node);
  }
  out += "]}";
  return out;
}

std::string encode_ndjson_lines(const DeliveryBatch& batch) {
  std::string out;
  out.reserve(estimate_size(batch));
  for (const auto& item : batch.items) {
    append_event(out, item, &batch.batch_id, batch.node);
    out += '\n';
  }
  return out;
}

}  // namespace spillway::replay
