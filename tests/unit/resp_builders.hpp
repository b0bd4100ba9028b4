// Hand-built replies for the unit tests: what a parser would produce.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "respool/resp.hpp"

namespace respool::test::build {

inline Resp arr(std::vector<Resp> v) { return Resp::aggregate(Resp::Type::array, std::move(v)); }
inline Resp map(std::vector<Resp> v) { return Resp::aggregate(Resp::Type::map, std::move(v)); }
inline Resp set(std::vector<Resp> v) { return Resp::aggregate(Resp::Type::set, std::move(v)); }
inline Resp bulk(std::string s) { return Resp::bulk_string(std::move(s)); }
inline Resp simple(std::string s) { return Resp::simple_string(std::move(s)); }
inline Resp num(std::int64_t v) { return Resp::integer_value(v); }

}  // namespace respool::test::build
