#include "reference.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace respool::bench {

std::string reference_command(const ReferenceRun& run) {
  return std::string("redis-benchmark ") + (run.cluster ? "--cluster " : "") + "-h " + run.host + " -p " +
         std::to_string(run.port) + " -t set,get -d 16 -c " + std::to_string(run.clients) + " -n " +
         std::to_string(run.requests) + " -P " + std::to_string(run.pipeline) + " --csv";
}

double run_reference(const ReferenceRun& run) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((reference_command(run) + " 2>/dev/null").c_str(), "r"),
                                             ::pclose);
  if (!pipe) return 0;
  // CSV lines: "SET","95238.10",... and "GET","97087.38",...
  double inv = 0;
  int tests = 0;
  char line[512];
  while (std::fgets(line, sizeof line, pipe.get())) {
    std::string s(line);
    if (s.rfind("\"SET\"", 0) != 0 && s.rfind("\"GET\"", 0) != 0) continue;
    auto start = s.find(",\"");
    if (start == std::string::npos) continue;
    double rps = std::strtod(s.c_str() + start + 2, nullptr);
    if (rps <= 0) return 0;
    inv += 1.0 / rps;
    ++tests;
  }
  return tests == 2 ? 2.0 / inv : 0;
}

}  // namespace respool::bench
