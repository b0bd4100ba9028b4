// Counting allocations for AllocationProbe (alloc_probe.hpp).
//
// Plain builds and ASan replace the global operator new/delete with malloc
// and free wrappers that store each block's requested size in a 16-byte
// header (keeping malloc's alignment), so a free knows what to subtract.
// TSan's runtime defines operator new itself (a static, strong symbol that
// can't be replaced), so under TSan the count comes from the sanitizer's
// malloc hooks, which see every allocation, new included.
#include "alloc_probe.hpp"

#include <cstdlib>
#include <new>

namespace respool_test {
std::atomic<bool> g_probe_on{false};
std::atomic<std::size_t> g_probe_largest{0};
std::atomic<std::size_t> g_probe_count{0};
std::atomic<std::int64_t> g_probe_live{0};
std::atomic<std::int64_t> g_probe_peak{0};

namespace {
void count_allocation(std::size_t n) noexcept {
  if (!g_probe_on.load(std::memory_order_relaxed)) return;
  g_probe_count.fetch_add(1, std::memory_order_relaxed);
  std::size_t cur = g_probe_largest.load(std::memory_order_relaxed);
  while (n > cur && !g_probe_largest.compare_exchange_weak(cur, n)) {
  }
  const std::int64_t live =
      g_probe_live.fetch_add(static_cast<std::int64_t>(n)) + static_cast<std::int64_t>(n);
  std::int64_t peak = g_probe_peak.load(std::memory_order_relaxed);
  while (live > peak && !g_probe_peak.compare_exchange_weak(peak, live)) {
  }
}

void count_free(std::size_t n) noexcept {
  if (!g_probe_on.load(std::memory_order_relaxed)) return;
  g_probe_live.fetch_sub(static_cast<std::int64_t>(n));
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
void on_free(const volatile void* p) {
  if (p != nullptr) respool_test::count_free(__sanitizer_get_allocated_size(const_cast<const void*>(p)));
}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace
#else
namespace {
constexpr std::size_t kHeader = 16;  // malloc's alignment, so the block after it keeps it
}  // namespace

void* operator new(std::size_t n) {
  respool_test::count_allocation(n);
  if (void* p = std::malloc(kHeader + n)) {
    *static_cast<std::size_t*>(p) = n;
    return static_cast<char*>(p) + kHeader;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  void* block = static_cast<char*>(p) - kHeader;
  respool_test::count_free(*static_cast<std::size_t*>(block));
  std::free(block);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
#endif
