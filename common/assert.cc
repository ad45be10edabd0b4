#include "common/assert.h"

#include <cstdio>
#include <cstdlib>

namespace spillway {

void assert_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr,
               "level=fatal component=assert msg=\"assertion failed\" expr=\"%s\" at=%s:%d\n", expr,
               file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace spillway
