#include "duet/http/querydict.hpp"

#include <algorithm>

#include "duet/conf/settings.hpp"
#include "duet/http/encoding.hpp"
#include "duet/http/exceptions.hpp"

namespace duet::http {

QueryDict::QueryDict(std::string_view query, bool is_mutable)
    : QueryDict(query, is_mutable, conf::settings()->DATA_UPLOAD_MAX_NUMBER_FIELDS) {}

QueryDict::QueryDict(std::string_view query, bool is_mutable, std::optional<std::size_t> fields_limit) {
  if (fields_limit) {
    auto fields = static_cast<std::size_t>(std::count(query.begin(), query.end(), '&')) + 1;
    if (fields > *fields_limit) throw TooManyFieldsSent();
  }
  std::size_t start = 0;
  while (start <= query.size()) {
    auto amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    auto pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    appendlist(to_valid_utf8(percent_decode(key, true)), to_valid_utf8(percent_decode(value, true)));
  }
  mutable_ = is_mutable;
}

QueryDict QueryDict::copy() const {
  QueryDict out;
  for (const auto& [k, list] : lists())
    out.setlist(k, list);
  return out;
}

std::string QueryDict::urlencode(std::optional<std::string_view> safe) const {
  std::string out;
  for (const auto& [k, list] : lists()) {
    for (const auto& v : list) {
      if (!out.empty()) out.push_back('&');
      if (safe) {
        out += quote(k, *safe) + "=" + quote(v, *safe);
      } else {
        out += quote_plus(k) + "=" + quote_plus(v);
      }
    }
  }
  return out;
}

QueryDict QueryDict::fromkeys(const std::vector<std::string>& keys, const std::string& value) {
  QueryDict out;
  for (const auto& k : keys)
    out.appendlist(k, value);
  return out;
}

}  // namespace duet::http
