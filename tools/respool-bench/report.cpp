#include "report.hpp"

#include <string>

namespace respool::bench {

void print_table(std::FILE* out, const std::vector<Measurement>& ms) {
  std::fprintf(out, "%-7s %-22s %12s %8s %9s %9s %9s %9s %8s %7s %7s\n", "case", "params", "ops/s", "ratio",
               "p50 us", "p99 us", "p99.9 us", "cpu us/op", "ctx/op", "errors", "wrong");
  for (const auto& m : ms) {
    std::string ratio = m.reference_ops_per_s > 0 ? std::to_string(m.ratio()).substr(0, 4) : "-";
    std::fprintf(out, "%-7s %-22s %12.0f %8s %9.1f %9.1f %9.1f %9.2f %8.3f %7llu %7llu\n", m.name.c_str(),
                 m.params.c_str(), m.ops_per_s(), ratio.c_str(), m.p50_us, m.p99_us, m.p999_us,
                 m.cpu_us_per_op(), m.ctx_per_op(), static_cast<unsigned long long>(m.errors),
                 static_cast<unsigned long long>(m.wrong_replies));
    if (!m.note.empty()) std::fprintf(out, "        %s\n", m.note.c_str());
  }
}

void print_json(std::FILE* out, const Measurement& m) {
  std::fprintf(
      out,
      "{\"case\":\"%s\",\"params\":\"%s\",\"ops\":%llu,\"seconds\":%.3f,\"ops_per_s\":%.1f,"
      "\"reference_ops_per_s\":%.1f,\"ratio\":%.4f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,"
      "\"cpu_user_s\":%.4f,\"cpu_sys_s\":%.4f,\"cpu_us_per_op\":%.3f,\"ctx_switches_per_op\":%.4f,"
      "\"involuntary_per_op\":%.4f,"
      "\"errors\":%llu,\"wrong_replies\":%llu,\"broken_after\":%d,\"redirects\":%lld,\"note\":\"%s\"}\n",
      m.name.c_str(), m.params.c_str(), static_cast<unsigned long long>(m.ops), m.seconds, m.ops_per_s(),
      m.reference_ops_per_s, m.ratio(), m.p50_us, m.p99_us, m.p999_us, m.user_s, m.sys_s, m.cpu_us_per_op(),
      m.ctx_per_op(), m.ops ? static_cast<double>(m.involuntary) / static_cast<double>(m.ops) : 0.0,
      static_cast<unsigned long long>(m.errors), static_cast<unsigned long long>(m.wrong_replies),
      m.broken_after, static_cast<long long>(m.redirects), m.note.c_str());
  std::fflush(out);
}

}  // namespace respool::bench
