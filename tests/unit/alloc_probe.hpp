// AllocationProbe: counts the operator-new allocations made while it is
// alive, the largest one, and the peak of the heap in use. Used to prove
// that the parser never sizes an allocation by a peer's claim, that the
// heap a reply takes stays within its limit, and that hot paths don't
// allocate.
//
// The global operator new/delete of the test executables are replaced
// (alloc_probe.cpp) by malloc/free wrappers that keep each block's size in
// front of it and count only while a probe is active: transparent to every
// other test. Under TSan, whose runtime owns operator new, the sanitizer's
// malloc hooks count instead, and see malloc too. Counts are process-wide
// (every thread) and relative to the probe's start: a block allocated
// before and freed during the probe lowers the heap in use. One probe at a
// time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace respool_test {

extern std::atomic<bool> g_probe_on;
extern std::atomic<std::size_t> g_probe_largest;
extern std::atomic<std::size_t> g_probe_count;
extern std::atomic<std::int64_t> g_probe_live;  // bytes allocated minus bytes freed since the start
extern std::atomic<std::int64_t> g_probe_peak;  // highest g_probe_live

class AllocationProbe {
 public:
  AllocationProbe() {
    g_probe_largest = 0;
    g_probe_count = 0;
    g_probe_live = 0;
    g_probe_peak = 0;
    g_probe_on = true;
  }
  ~AllocationProbe() { g_probe_on = false; }
  AllocationProbe(const AllocationProbe&) = delete;
  AllocationProbe& operator=(const AllocationProbe&) = delete;

  std::size_t largest() const { return g_probe_largest.load(); }
  std::size_t count() const { return g_probe_count.load(); }
  // Most bytes (as requested of operator new) in use at once beyond those in
  // use at the probe's start.
  std::size_t peak() const { return static_cast<std::size_t>(g_probe_peak.load()); }
  // Bytes in use now beyond those at the start (negative if fewer).
  std::int64_t live() const { return g_probe_live.load(); }
};

}  // namespace respool_test
