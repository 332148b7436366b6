// The built-in commands, each given its parsed arguments.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "duet/core/management.hpp"

namespace duet::core::management::detail {

/// Arguments split into positionals and --options (a flag maps to "").
struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool has(const std::string& name) const { return options.count(name) > 0; }
};

/// A usage error: reported with the command's usage, exit code 2.
struct UsageError {
  std::string message;
};

int makemigrations(const Arguments& a, std::ostream& out, std::ostream& err, const ManagementOptions& o);
int migrate(const Arguments& a, std::ostream& out, std::ostream& err, const ManagementOptions& o);
int showmigrations(const Arguments& a, std::ostream& out, std::ostream& err, const ManagementOptions& o);
int sqlmigrate(const Arguments& a, std::ostream& out, std::ostream& err, const ManagementOptions& o);

}  // namespace duet::core::management::detail
