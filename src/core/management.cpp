#include "duet/core/management.hpp"

#include <fmt/format.h>

#include <exception>
#include <iostream>
#include <ostream>

#include "commands.hpp"

namespace duet::core::management {

namespace {

using detail::Arguments;
using detail::UsageError;

struct Command {
  const char* name;
  const char* usage;
  const char* help;
  int (*run)(const Arguments&, std::ostream&, std::ostream&, const ManagementOptions&);
  std::set<std::string> flags;   // options without a value
  std::set<std::string> valued;  // options taking a value (--name N or --name=N)
};

const std::vector<Command>& commands() {
  static const std::vector<Command> list{
      {"makemigrations",
       "makemigrations [app_label ...] [--name NAME] [--dry-run] [--check]",
       "Creates new migration files for changes in the declared models.",
       detail::makemigrations,
       {"dry-run", "check"},
       {"name"}},
      {"migrate",
       "migrate [app_label] [migration_name] [--plan] [--database ALIAS]",
       "Updates the database schema to the migrations (migration_name 'zero' unapplies all).",
       detail::migrate,
       {"plan"},
       {"database"}},
      {"showmigrations",
       "showmigrations [app_label ...] [--plan] [--database ALIAS]",
       "Shows all migrations and whether they are applied.",
       detail::showmigrations,
       {"plan"},
       {"database"}},
      {"sqlmigrate",
       "sqlmigrate app_label migration_name [--backwards] [--database ALIAS]",
       "Prints the SQL statements for the named migration.",
       detail::sqlmigrate,
       {"backwards"},
       {"database"}},
  };
  return list;
}

const Command* find_command(std::string_view name) {
  for (auto& c : commands())
    if (name == c.name) return &c;
  return nullptr;
}

void print_help(std::ostream& out, const ManagementOptions& o) {
  out << fmt::format(
      "Type '{} help <subcommand>' for help on a specific subcommand.\n\nAvailable subcommands:\n\n",
      o.program);
  for (auto& c : commands())
    out << "    " << c.name << "\n";
}

Arguments parse(const Command& c, const std::vector<std::string>& args) {
  constexpr std::size_t max_args = 64;  // a command line is short; anything longer is a mistake
  if (args.size() > max_args) throw UsageError{"too many arguments"};
  Arguments a;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s.size() > 2 && s.starts_with("--")) {
      std::string name = s.substr(2), value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      if (c.flags.count(name)) {
        a.options[name] = "";
      } else if (c.valued.count(name)) {
        if (value.empty()) {
          if (i + 1 >= args.size())
            throw UsageError{fmt::format("argument --{}: expected one argument", name)};
          value = args[++i];
        }
        a.options[name] = value;
      } else {
        throw UsageError{fmt::format("unrecognized arguments: {}", s)};
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

}  // namespace

int call_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                 const ManagementOptions& options) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    if (args.size() > 1) {
      if (auto* c = find_command(args[1])) {
        out << fmt::format("usage: {} {}\n\n{}\n", options.program, c->usage, c->help);
        return 0;
      }
    }
    print_help(out, options);
    return args.empty() ? 2 : 0;
  }
  const Command* c = find_command(args[0]);
  if (!c) {
    err << fmt::format("Unknown command: '{}'\nType '{} help' for usage.\n", args[0], options.program);
    return 2;
  }
  try {
    return c->run(parse(*c, args), out, err, options);
  } catch (const UsageError& e) {
    err << fmt::format("usage: {} {}\n{} {}: error: {}\n", options.program, c->usage, options.program,
                       c->name, e.message);
    return 2;
  } catch (const std::exception& e) {
    err << "CommandError: " << e.what() << "\n";
    return 1;
  }
}

int execute_from_command_line(int argc, char** argv, const ManagementOptions& options) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i)
    args.emplace_back(argv[i]);
  return call_command(args, std::cout, std::cerr, options);
}

bool is_management_command(int argc, char** argv) {
  if (argc < 2) return false;
  std::string_view name = argv[1];
  return name == "help" || find_command(name) != nullptr;
}

}  // namespace duet::core::management
