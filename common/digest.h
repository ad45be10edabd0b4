#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace spillway {

using Sha256 = std::array<uint8_t, 32>;

Sha256 sha256(std::string_view data);

// Constant-time equality of two digests (CRYPTO_memcmp): credential checks must not leak
// how many leading bytes matched.
bool digest_equal(const Sha256& a, const Sha256& b);

// n bytes from getrandom(2), hex-encoded (2n characters). For credentials and tokens.
std::string random_hex(size_t n);

std::string to_hex(std::string_view bytes);

}  // namespace spillway
