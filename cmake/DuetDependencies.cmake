# Third-party dependencies, all from Debian packages (DESIGN.md §2), gathered into one interface target.
find_package(Threads REQUIRED)
find_package(Boost 1.81.0 EXACT REQUIRED CONFIG COMPONENTS json url)
find_package(fmt REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(OpenSSL 3 REQUIRED)

add_library(duet_deps INTERFACE)
target_link_libraries(duet_deps INTERFACE
  Boost::headers Boost::json Boost::url fmt::fmt SQLite::SQLite3 PostgreSQL::PostgreSQL
  OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(duet_deps INTERFACE BOOST_ASIO_NO_DEPRECATED)
