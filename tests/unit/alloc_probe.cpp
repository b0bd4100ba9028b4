// Counting allocations for AllocationProbe (alloc_probe.hpp).
//
// Plain builds and ASan replace the global operator new/delete with counting
// malloc/free wrappers. TSan's runtime defines operator new itself (a static,
// strong symbol that can't be replaced), so under TSan the count comes from
// the sanitizer's malloc hook, which sees every allocation, new included.
#include "alloc_probe.hpp"

#include <cstdlib>
#include <new>

namespace respool_test {
std::atomic<bool> g_probe_on{false};
std::atomic<std::size_t> g_probe_largest{0};
std::atomic<std::size_t> g_probe_count{0};

namespace {
void count_allocation(std::size_t n) noexcept {
  if (!g_probe_on.load(std::memory_order_relaxed)) return;
  g_probe_count.fetch_add(1, std::memory_order_relaxed);
  std::size_t cur = g_probe_largest.load(std::memory_order_relaxed);
  while (n > cur && !g_probe_largest.compare_exchange_weak(cur, n)) {
  }
}
}  // namespace
}  // namespace respool_test

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RESPOOL_TEST_TSAN 1
#endif
#endif

#ifdef RESPOOL_TEST_TSAN
#include <sanitizer/allocator_interface.h>

namespace {
void on_malloc(const volatile void*, std::size_t n) { respool_test::count_allocation(n); }
void on_free(const volatile void*) {}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace
#else
void* operator new(std::size_t n) {
  respool_test::count_allocation(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif
