// Template rendering throughput: a 100-row fortunes table and a three-level {% extends %} page,
// then the same templates rendered by Django (bench/template/django_bench.py) for the ratio.
//
//   build-*/bench/template/template_bench [--benchmark_min_time=...]
//   DUET_BENCH_NO_DJANGO=1 skips the Django comparison.
#include <duet/template/engine.hpp>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

using namespace duet::templates;

namespace {

const std::string kDir = DUET_TEMPLATE_BENCH_DIR;

struct Fortune {
  std::int64_t id;
  std::string message;
};

}  // namespace

template <>
struct duet::templates::Expose<Fortune> {
  static void describe(Attributes<Fortune>& a) {
    a.name("Fortune").attr("id", &Fortune::id).attr("message", &Fortune::message);
  }
};

namespace {

const char* const kMessages[] = {
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \xe2\x80\x94 Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \xe2\x80\x94 Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    "\xe3\x83\x95\xe3\x83\xac\xe3\x83\xbc\xe3\x83\xa0\xe3\x83\xaf\xe3\x83\xbc\xe3\x82\xaf\xe3\x81\xae\xe3\x83"
    "\x99"
    "\xe3\x83\xb3\xe3\x83\x81\xe3\x83\x9e\xe3\x83\xbc\xe3\x82\xaf",
};

std::vector<Fortune> fortunes() {
  std::vector<Fortune> out;
  for (int i = 0; i < 100; ++i)
    out.push_back({i + 1, std::string(kMessages[i % 12]) + " #" + std::to_string(i)});
  return out;
}

boost::json::value page_json() {
  namespace json = boost::json;
  json::array links, items;
  for (int i = 0; i < 8; ++i)
    links.push_back(json::object{{"url", "/l/" + std::to_string(i) + "/"},
                                 {"title", "link number " + std::to_string(i)}});
  for (int i = 0; i < 20; ++i)
    items.push_back(json::object{{"name", "item " + std::to_string(i)},
                                 {"price", i * 1.75},
                                 {"note", i % 3 == 0 ? "note " + std::to_string(i) : std::string()}});
  return json::object{
      {"year", 2026},
      {"site_name", "Example & Co"},
      {"section", json::object{{"title", "Articles"}, {"url", "/articles/"}}},
      {"links", links},
      {"page",
       json::object{{"title", "Rendering templates quickly <fast>"},
                    {"author", "Ann"},
                    {"tags", json::array{"c++", "django", "web"}},
                    {"body", "First paragraph with <html> & stuff.\nSecond line.\n\nSecond paragraph."}}},
      {"items", items}};
}

const Engine& engine() {
  static const Engine e = [] {
    EngineOptions o;
    o.dirs.push_back(kDir + "/templates");
    return Engine(std::move(o));
  }();
  return e;
}

Context fortunes_context() {
  return Context{{"fortunes", Value(fortunes())}};
}
Context page_context() {
  return Context(page_json());
}

void BM_Fortunes(benchmark::State& state) {
  auto tmpl = engine().get_template("fortunes.html");
  Context ctx = fortunes_context();
  std::string out;
  for (auto _ : state) {
    out.clear();
    tmpl->render_to(ctx, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["renders/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Fortunes);

// What a fortunes view does per request: build the context from rows, look the template up, render.
void BM_FortunesWithContext(benchmark::State& state) {
  auto rows = fortunes();
  for (auto _ : state) {
    Context ctx{{"fortunes", Value(rows)}};
    std::string out = engine().get_template("fortunes.html")->render(ctx);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["renders/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FortunesWithContext);

void BM_ExtendsPage(benchmark::State& state) {
  auto tmpl = engine().get_template("page.html");
  Context ctx = page_context();
  std::string out;
  for (auto _ : state) {
    out.clear();
    tmpl->render_to(ctx, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["renders/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ExtendsPage);

double measure(const std::string& name, Context& ctx, double seconds) {
  auto tmpl = engine().get_template(name);
  std::string out;
  std::size_t n = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 100; ++i) {
      out.clear();
      tmpl->render_to(ctx, out);
    }
    n += 100;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return static_cast<double>(n) / elapsed;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void compare_with_django() {
  std::string prefix = "/tmp/duet_template_bench." + std::to_string(::getpid());
  std::string cmd = "/usr/bin/python3 " + kDir + "/django_bench.py 2 " + prefix + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return;
  std::map<std::string, double> django;
  char name[64];
  double rate;
  while (std::fscanf(p, "%63s %lf", name, &rate) == 2)
    django[name] = rate;
  ::pclose(p);
  if (django.size() != 2) {
    std::printf("\nDjango comparison skipped (needs /usr/bin/python3 with python3-django)\n");
    return;
  }
  Context fc = fortunes_context(), pc = page_context();
  double duet_f = measure("fortunes.html", fc, 2), duet_p = measure("page.html", pc, 2);
  bool same_f = slurp(prefix + ".fortunes.html") == engine().get_template("fortunes.html")->render(fc);
  bool same_p = slurp(prefix + ".page.html") == engine().get_template("page.html")->render(pc);
  std::remove((prefix + ".fortunes.html").c_str());
  std::remove((prefix + ".page.html").c_str());
  std::printf("\n%-10s %14s %14s %8s %s\n", "case", "duet r/s", "django r/s", "ratio", "same output");
  std::printf("%-10s %14.0f %14.0f %7.1fx %s\n", "fortunes", duet_f, django["fortunes"],
              duet_f / django["fortunes"], same_f ? "yes" : "NO");
  std::printf("%-10s %14.0f %14.0f %7.1fx %s\n", "extends", duet_p, django["extends"],
              duet_p / django["extends"], same_p ? "yes" : "NO");
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!std::getenv("DUET_BENCH_NO_DJANGO")) compare_with_django();
  return 0;
}
