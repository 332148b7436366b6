// mysite: the example site on duet's server.
//
//   mysite                          async server on 127.0.0.1:8000, one event loop per core
//   mysite --mode threaded          thread-per-connection server, the same site through its sync interface
//   mysite --help                   every option (--host, --port, --workers, --threads, --no-access-log, ...)
#include <duet/handlers/asgi.hpp>
#include <duet/server/command_line.hpp>

#include "site.hpp"

int main(int argc, char** argv) {
  mysite::setup();
  duet::server::CommandLine defaults;
  defaults.server.access_log = true;
  return duet::server::run_main(argc, argv, duet::handlers::get_asgi_application(),
                                duet::handlers::get_wsgi_application(), defaults);
}
