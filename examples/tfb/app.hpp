// The TechEmpower benchmark application: the six test types on duet's ORM and template engine.
#pragma once

#include <duet/conf/settings.hpp>
#include <duet/urls/resolvers.hpp>
#include <optional>
#include <string>

namespace tfb {

/// Settings, URLs and the database (DATABASE_URL, default sqlite:///tfb.sqlite3).
void setup();

/// Creates the tables and loads TechEmpower's rows: 10,000 worlds with random numbers, 12 fortunes.
/// Existing rows are replaced.
void load_data();

duet::urls::UrlPatterns urlpatterns();

/// TechEmpower's rule for `queries`: missing, empty, non-numeric or below 1 gives 1; above 500 gives 500.
int clamp_queries(const std::optional<std::string>& raw);

}  // namespace tfb
