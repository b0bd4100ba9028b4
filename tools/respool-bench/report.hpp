// Printing measurements: a readable table, or one JSON record per case.
#pragma once

#include <cstdio>
#include <vector>

#include "measure.hpp"

namespace respool::bench {

void print_table(std::FILE* out, const std::vector<Measurement>& ms);
void print_json(std::FILE* out, const Measurement& m);

}  // namespace respool::bench
