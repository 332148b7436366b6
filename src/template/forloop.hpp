// The `forloop` variable: a view of the loop's counters kept on the render stack (no per-iteration dict).
#pragma once

#include "duet/template/context.hpp"
#include "duet/template/value.hpp"

#include <optional>
#include <utility>
#include <vector>

namespace duet::templates::detail {

struct ForloopState {
  std::int64_t index = 0, length = 0;
  Value parent;
  // {% ifchanged %} remembers its last value per loop.
  std::vector<std::pair<const void*, std::optional<Value>>> ifchanged;
  static ForloopState* current(Context& context);
};

class ForloopType final : public TypeInfo {
 public:
  std::string_view type_name() const override { return "forloop"; }
  bool attr(const void* obj, const std::shared_ptr<const void>& owner, std::string_view name,
            Value& out) const override;
  std::string str(const void* obj) const override;
  static const ForloopType& instance();
};

}  // namespace duet::templates::detail
