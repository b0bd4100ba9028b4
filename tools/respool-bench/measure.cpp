#include "measure.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace respool::bench {

Usage Usage::now() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  Usage u;
  u.user_s = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
  u.sys_s = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
  u.ctx_switches = ru.ru_nvcsw + ru.ru_nivcsw;
  u.involuntary = ru.ru_nivcsw;
  return u;
}

void Measurement::set_latencies(std::vector<Recorder>& recorders) {
  std::vector<std::uint32_t> all;
  for (auto& r : recorders) {
    all.insert(all.end(), r.samples().begin(), r.samples().end());
    r.samples().clear();
    r.samples().shrink_to_fit();
  }
  if (all.empty()) return;
  auto pct = [&](double q) {
    auto k = static_cast<std::size_t>(q * static_cast<double>(all.size() - 1));
    std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end());
    return static_cast<double>(all[k]) / 1000.0;
  };
  p50_us = pct(0.50);
  p99_us = pct(0.99);
  p999_us = pct(0.999);
}

void Measurement::set_usage(const Usage& before, const Usage& after) {
  user_s = after.user_s - before.user_s;
  sys_s = after.sys_s - before.sys_s;
  ctx_switches = after.ctx_switches - before.ctx_switches;
  involuntary = after.involuntary - before.involuntary;
}

Measurement median(std::vector<Measurement> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.ops_per_s() < b.ops_per_s(); });
  Measurement m = runs[runs.size() / 2];
  // The reference is the median of its own runs, not the one that happened
  // to pair with our median run.
  std::vector<double> refs;
  for (const auto& r : runs) refs.push_back(r.reference_ops_per_s);
  std::sort(refs.begin(), refs.end());
  m.reference_ops_per_s = refs[refs.size() / 2];
  return m;
}

}  // namespace respool::bench
