// Management commands (django.core.management): makemigrations, migrate, showmigrations, sqlmigrate, run
// from a project binary's main() — `mysite migrate` — since models and migrations are compiled into it.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace duet::core::management {

struct ManagementOptions {
  /// Where makemigrations writes each app's migration files (Django's MIGRATION_MODULES), e.g.
  /// {{"blog", DUET_SOURCE_DIR "/examples/blog/migrations"}}. The files written there must be compiled into
  /// the binary before `migrate` sees them.
  std::map<std::string, std::string> migration_dirs;
  /// The program name shown in usage messages.
  std::string program = "duet-admin";
};

/// Runs one command: args[0] is its name ("migrate"), the rest its arguments. Writes Django-shaped output
/// to `out`, errors to `err`; returns the process exit code (0 ok, 1 command failed or --check found
/// changes, 2 bad usage). Never throws for a command's failure: it is reported on `err`.
int call_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                 const ManagementOptions& options = {});

/// `int main(int argc, char** argv)`'s helper: argv[1...] is the command and its arguments.
int execute_from_command_line(int argc, char** argv, const ManagementOptions& options = {});

/// True when argv names a management command (so a site binary can serve otherwise).
bool is_management_command(int argc, char** argv);

}  // namespace duet::core::management
