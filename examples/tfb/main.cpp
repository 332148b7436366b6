// tfb: TechEmpower's benchmark application on duet.
//
//   tfb setup                       create the tables and load the rows (DATABASE_URL, default
//   sqlite:///tfb.sqlite3) tfb [server options]            serve /plaintext /json /db /queries /fortunes
//   /updates (see --help)
#include <cstring>
#include <duet/handlers/asgi.hpp>
#include <duet/server/command_line.hpp>
#include <exception>
#include <iostream>

#include "app.hpp"

int main(int argc, char** argv) {
  try {
    tfb::setup();
  } catch (const std::exception& e) {
    std::cerr << "tfb: " << e.what() << "\n";
    return 2;
  }
  if (argc > 1 && std::strcmp(argv[1], "setup") == 0) {
    try {
      tfb::load_data();
    } catch (const std::exception& e) {
      std::cerr << "tfb setup: " << e.what() << "\n";
      return 1;
    }
    std::cout << "tfb: loaded 10000 worlds and 12 fortunes\n";
    return 0;
  }
  duet::server::CommandLine defaults;
  defaults.server.access_log = false;
  return duet::server::run_main(argc, argv, duet::handlers::get_asgi_application(),
                                duet::handlers::get_wsgi_application(), defaults);
}
