// The blog example on duet's server, with Django's management commands:
//
//   blog makemigrations              writes migrations/NNNN_*.cpp for model changes (then rebuild)
//   blog migrate [app] [target]      applies (or unapplies) migrations; showmigrations, sqlmigrate too
//   blog [--port 8000] [--mode threaded]   serves the JSON API
//
// The database is BLOG_DB (default blog.sqlite3), or DATABASE_URL.
#include <cstdlib>
#include <duet/core/management.hpp>
#include <duet/handlers/asgi.hpp>
#include <duet/server/command_line.hpp>

#include "site.hpp"

int main(int argc, char** argv) {
  const char* database = std::getenv("BLOG_DB");
  blog::configure_database(database ? database : "blog.sqlite3");
  if (duet::core::management::is_management_command(argc, argv))
    return duet::core::management::execute_from_command_line(argc, argv, blog::management_options());
  blog::setup();
  duet::server::CommandLine defaults;
  defaults.server.access_log = true;
  return duet::server::run_main(argc, argv, duet::handlers::get_asgi_application(),
                                duet::handlers::get_wsgi_application(), defaults);
}
