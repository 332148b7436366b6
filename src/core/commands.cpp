#include "commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>

#include "duet/db/migrations.hpp"
#include "duet/db/models/meta.hpp"

namespace duet::core::management::detail {

namespace mig = duet::db::migrations;
namespace fs = std::filesystem;

namespace {

std::string alias_of(const Arguments& a) {
  auto it = a.options.find("database");
  return it == a.options.end() ? std::string(db::DEFAULT_DB_ALIAS) : it->second;
}

std::string join(const std::set<std::string>& items, std::string_view sep, std::string_view quote = "") {
  std::string out;
  for (auto& i : items)
    out += fmt::format("{}{}{}{}", out.empty() ? "" : sep, quote, i, quote);
  return out;
}

mig::ProjectState declared_state() {
  return mig::ProjectState::from_models(db::all_models());
}

std::set<std::string> model_apps(const mig::ProjectState& s) {
  std::set<std::string> out;
  for (auto& [k, m] : s.models())
    out.insert(m.app_label);
  return out;
}

// A file makemigrations wrote that is not compiled in yet would be numbered over: refuse instead.
void check_all_compiled(const mig::MigrationLoader& loader, const std::string& app, const fs::path& dir) {
  if (!fs::is_directory(dir)) return;
  std::set<std::string> known;
  for (auto* m : loader.app_migrations(app))
    known.insert(m->name);
  for (auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".cpp") continue;
    auto stem = entry.path().stem().string();
    if (stem.size() < 5 || stem[0] < '0' || stem[0] > '9' || known.count(stem)) continue;
    throw std::runtime_error(
        fmt::format("{} exists but is not compiled into this binary; rebuild before making new migrations.",
                    entry.path().string()));
  }
}

}  // namespace

int makemigrations(const Arguments& a, std::ostream& out, std::ostream&, const ManagementOptions& o) {
  mig::MigrationLoader loader;
  mig::ProjectState from = loader.project_state();
  mig::ProjectState to = declared_state();
  std::set<std::string> apps(a.positional.begin(), a.positional.end());
  auto known = model_apps(to);
  for (auto& app : model_apps(from))
    known.insert(app);
  for (auto& app : apps)
    if (!known.count(app)) throw std::runtime_error(fmt::format("No installed app with label '{}'.", app));
  std::optional<std::string> name;
  if (a.has("name")) name = a.options.at("name");
  auto changes = mig::MigrationAutodetector(from, to).changes(loader, apps, name);
  if (changes.empty()) {
    if (apps.size() == 1) {
      out << fmt::format("No changes detected in app '{}'\n", *apps.begin());
    } else if (apps.size() > 1) {
      out << fmt::format("No changes detected in apps {}\n", join(apps, ", ", "'"));
    } else {
      out << "No changes detected\n";
    }
    return 0;
  }
  const bool write = !a.has("dry-run") && !a.has("check");
  for (auto& m : changes) {
    auto dir_it = o.migration_dirs.find(m.app);
    if (write && dir_it == o.migration_dirs.end())
      throw std::runtime_error(fmt::format(
          "No migration directory is configured for app '{}' (ManagementOptions::migration_dirs).", m.app));
    fs::path dir =
        dir_it == o.migration_dirs.end() ? fs::path(m.app) / "migrations" : fs::path(dir_it->second);
    fs::path file = dir / (m.name + ".cpp");
    out << fmt::format("Migrations for '{}':\n  {}\n", m.app, file.string());
    for (auto& op : m.operations)
      out << "    - " << op->describe() << "\n";
    if (!write) continue;
    check_all_compiled(loader, m.app, dir);
    fs::create_directories(dir);
    if (fs::exists(file)) throw std::runtime_error(fmt::format("{} already exists", file.string()));
    std::ofstream f(file);
    f << mig::write_migration(m);
    f.close();
    if (!f) throw std::runtime_error(fmt::format("Could not write {}", file.string()));
  }
  if (write) out << "Rebuild to compile the new migration(s) in, then run migrate.\n";
  return a.has("check") ? 1 : 0;
}

int migrate(const Arguments& a, std::ostream& out, std::ostream&, const ManagementOptions& o) {
  if (a.positional.size() > 2) throw UsageError{"migrate takes at most an app label and a migration name"};
  mig::MigrationLoader loader;
  mig::MigrationExecutor executor(loader, alias_of(a));
  std::vector<mig::Target> targets;
  if (!a.positional.empty()) {
    const std::string& app = a.positional[0];
    if (!loader.apps().count(app))
      throw std::runtime_error(fmt::format("App '{}' does not have migrations.", app));
    std::string name = a.positional.size() > 1 ? a.positional[1] : "";
    if (!name.empty() && name != "zero") name = loader.get_by_prefix(app, name).name;
    targets.push_back({app, name});
  }
  auto plan = executor.plan(targets);
  if (a.has("plan")) {
    out << "Planned operations:\n";
    if (plan.empty()) out << "  No planned migration operations.\n";
    for (auto& step : plan) {
      out << step.migration->app << "." << step.migration->name << "\n";
      for (auto& op : step.migration->operations)
        out << "    " << (step.backwards ? "Undo " : "") << op->describe() << "\n";
    }
    return 0;
  }
  out << "Operations to perform:\n";
  if (targets.empty()) {
    out << "  Apply all migrations: " << join(loader.apps(), ", ") << "\n";
  } else if (targets[0].name == "zero") {
    out << "  Unapply all migrations: " << targets[0].app << "\n";
  } else if (!targets[0].name.empty()) {
    out << fmt::format("  Target specific migration: {}, from {}\n", targets[0].name, targets[0].app);
  } else {
    out << "  Apply all migrations: " << targets[0].app << "\n";
  }
  out << "Running migrations:\n";
  if (plan.empty()) out << "  No migrations to apply.\n";
  executor.migrate(plan, [&](const mig::PlanStep& step, std::string_view event) {
    if (event == "start") {
      out << fmt::format("  {} {}.{}...", step.backwards ? "Unapplying" : "Applying", step.migration->app,
                         step.migration->name)
          << std::flush;
    } else {
      out << " OK\n" << std::flush;
    }
  });
  if (plan.empty() || targets.empty()) {
    std::set<std::string> changed;
    mig::MigrationAutodetector detector(loader.project_state(), declared_state());
    for (auto& app : model_apps(declared_state()))
      if (!detector.operations(app).empty()) changed.insert(app);
    if (!changed.empty()) {
      out << fmt::format(
          "  Your models in app(s): {} have changes that are not yet reflected in a migration, and so won't "
          "be "
          "applied.\n  Run '{} makemigrations' to make new migrations, and then re-run '{} migrate' to apply "
          "them.\n",
          join(changed, ", ", "'"), o.program, o.program);
    }
  }
  return 0;
}

int showmigrations(const Arguments& a, std::ostream& out, std::ostream&, const ManagementOptions&) {
  mig::MigrationLoader loader;
  auto applied = mig::MigrationRecorder(alias_of(a)).applied();
  if (a.has("plan")) {
    for (auto* m : loader.order()) {
      if (!a.positional.empty() &&
          std::find(a.positional.begin(), a.positional.end(), m->app) == a.positional.end())
        continue;
      out << (applied.count(m->key()) ? "[X]  " : "[ ]  ") << m->app << "." << m->name << "\n";
    }
    return 0;
  }
  std::set<std::string> apps(a.positional.begin(), a.positional.end());
  if (apps.empty()) {
    apps = loader.apps();
    for (auto& app : model_apps(declared_state()))
      apps.insert(app);
  }
  for (auto& app : apps) {
    out << app << "\n";
    auto list = loader.app_migrations(app);
    if (list.empty()) out << " (no migrations)\n";
    for (auto* m : list)
      out << (applied.count(m->key()) ? " [X] " : " [ ] ") << m->name << "\n";
  }
  return 0;
}

int sqlmigrate(const Arguments& a, std::ostream& out, std::ostream&, const ManagementOptions&) {
  if (a.positional.size() != 2)
    throw UsageError{"the following arguments are required: app_label, migration_name"};
  mig::MigrationLoader loader;
  const auto& m = loader.get_by_prefix(a.positional[0], a.positional[1]);
  mig::MigrationExecutor executor(loader, alias_of(a));
  if (m.atomic) out << "BEGIN;\n";
  for (auto& [description, statements] : executor.collect_sql(m, a.has("backwards"))) {
    out << "--\n-- " << description << "\n--\n";
    for (auto& sql : statements)
      out << sql << (sql.starts_with("--") ? "\n" : ";\n");
  }
  if (m.atomic) out << "COMMIT;\n";
  return 0;
}

}  // namespace duet::core::management::detail
