// Arguments that must not compile. Built by ctest, one case per target
// (RESPOOL_CASE), each expected to fail with a message naming the problem;
// case 0 must compile, so a broken harness can't pass.
#include <respool/encode.hpp>
#include <string>

int main() {
  std::string out;
#if RESPOOL_CASE == 0
  respool::encode_command(out, "RPUSH", "l", u8"ab", std::u8string(u8"cd"), 1, 2.5);
#elif RESPOOL_CASE == 1
  respool::encode_command(out, "RPUSH", "l", L"wide");
#elif RESPOOL_CASE == 2
  respool::encode_command(out, "RPUSH", "l", std::u16string(u"wide"));
#elif RESPOOL_CASE == 3
  respool::encode_command(out, "RPUSH", "l", U'x');
#elif RESPOOL_CASE == 4
  respool::encode_command(out, "RPUSH", "l", std::wstring(L"wide"));
#elif RESPOOL_CASE == 5
  static_assert(respool::CommandArg<char32_t>, "char32_t is a CommandArg");
#endif
  return static_cast<int>(out.size() % 2);
}
