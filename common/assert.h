#pragma once

// SPW_ASSERT is on in every build. It marks bugs, never bad input: input errors are
// Status values. The condition must have no side effects.
#define SPW_ASSERT(cond)                                               \
  do {                                                                 \
    if (!(cond)) ::spillway::assert_failed(#cond, __FILE__, __LINE__); \
  } while (false)

namespace spillway {
[[noreturn]] void assert_failed(const char* expr, const char* file, int line);
}  // namespace spillway
