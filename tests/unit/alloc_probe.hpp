// AllocationProbe: counts the operator-new allocations made while it is
// alive, and the largest one. Used to prove that the parser never sizes an
// allocation by a peer's claim and that hot paths don't allocate.
//
// The global operator new/delete of the unit test executable are replaced
// (alloc_probe.cpp) by plain malloc/free wrappers that count only while a
// probe is active: transparent to every other test. Not thread-aware: use
// one probe at a time.
#pragma once

#include <atomic>
#include <cstddef>

namespace respool_test {

extern std::atomic<bool> g_probe_on;
extern std::atomic<std::size_t> g_probe_largest;
extern std::atomic<std::size_t> g_probe_count;

class AllocationProbe {
 public:
  AllocationProbe() {
    g_probe_largest = 0;
    g_probe_count = 0;
    g_probe_on = true;
  }
  ~AllocationProbe() { g_probe_on = false; }
  AllocationProbe(const AllocationProbe&) = delete;
  AllocationProbe& operator=(const AllocationProbe&) = delete;

  std::size_t largest() const { return g_probe_largest.load(); }
  std::size_t count() const { return g_probe_count.load(); }
};

}  // namespace respool_test
