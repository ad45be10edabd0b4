#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace spillway {

// Big-endian fixed-width integers: keys sort by number under LMDB's memcmp order.
inline void put_be32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}
inline void put_be64(std::string& out, uint64_t v) {
  put_be32(out, static_cast<uint32_t>(v >> 32));
  put_be32(out, static_cast<uint32_t>(v));
}
inline void put_u8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }

// Callers check the length first; these read exactly 4 or 8 bytes at p.
inline uint32_t get_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
inline uint64_t get_be64(const char* p) { return (uint64_t{get_be32(p)} << 32) | get_be32(p + 4); }

// Sequential reader over a byte string that reports truncation instead of overrunning.
// Copyable.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool u8(uint8_t& v) {
    if (data_.size() < 1) return false;
    v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool be32(uint32_t& v) {
    if (data_.size() < 4) return false;
    v = get_be32(data_.data());
    data_.remove_prefix(4);
    return true;
  }
  bool be64(uint64_t& v) {
    if (data_.size() < 8) return false;
    v = get_be64(data_.data());
    data_.remove_prefix(8);
    return true;
  }
  bool bytes(size_t n, std::string_view& v) {
    if (data_.size() < n) return false;
    v = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

}  // namespace spillway
