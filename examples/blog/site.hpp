// The blog example: models with committed migrations, sync and async JSON views over the ORM.
#pragma once

#include <duet/conf/settings.hpp>
#include <duet/core/management.hpp>
#include <duet/urls/resolvers.hpp>
#include <string>

#include "models.hpp"

namespace blog {

/// settings.py (DATABASES below: db::configure, the ORM's own settings).
duet::conf::Settings settings();

/// urls.py
duet::urls::UrlPatterns urlpatterns();

/// DATABASES: DATABASE_URL if set, else the SQLite file `database` (default "blog.sqlite3").
void configure_database(const std::string& database = "blog.sqlite3");

/// Settings, URLconf and middleware (what Django's setup() does for a project).
void setup();

/// The management commands' options: makemigrations writes to this source tree's migrations/.
duet::core::management::ManagementOptions management_options();

}  // namespace blog
