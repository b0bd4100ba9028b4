// How a string is shown in text meant for people (Resp::to_string, the
// paths of as<T>() errors): in double quotes, with quotes, backslashes and
// control or non-ASCII bytes escaped.
#pragma once

#include <string>
#include <string_view>

namespace respool::detail {

void append_quoted(std::string& out, std::string_view s);

}  // namespace respool::detail
