// Fuzzes QueryDict parsing and re-encoding: any input parses (or hits the field limit) without crashing,
// every key and value comes out as valid UTF-8, and urlencode() of the result parses back to the same dict.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "duet/http/encoding.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/http/querydict.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    duet::http::QueryDict q(input, false, 1000);
    for (const auto& [k, list] : q.lists()) {
      if (!duet::http::is_valid_utf8(k)) std::abort();
      for (const auto& v : list)
        if (!duet::http::is_valid_utf8(v)) std::abort();
    }
    auto again = duet::http::QueryDict(q.urlencode(), false, std::nullopt);
    if (!(again == q)) std::abort();
  } catch (const duet::http::TooManyFieldsSent&) {
  }
  return 0;
}
