// URL resolving: resolve() on a 32-pattern URLconf (plain routes, routes with converters, an include(),
// a regex) for a path matched first, one matched by a converter route halfway down, one inside the
// include, the last pattern, and a 404; then Django's resolve() on the same URLconf
// (bench/urls/django_bench.py, Debian's python3-django) for the ratio.
//
//   build-*/bench/urls/urls_bench [--benchmark_min_time=...]
//   DUET_BENCH_NO_DJANGO=1 skips the Django comparison.
#include <duet/urls/resolvers.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

using namespace duet::urls;

namespace {

// Views are opaque to the resolver; a string stands for one.
using ViewName = std::string;

std::shared_ptr<const URLResolver> urlconf() {
  static const auto resolver = [] {
    UrlPatterns app{path("", ViewName("index"), "index")};
    for (int i = 0; i < 10; ++i)
      app.push_back(
          path("item" + std::to_string(i) + "/<int:pk>/", ViewName("item"), "item" + std::to_string(i)));
    UrlPatterns patterns;
    for (int i = 0; i < 10; ++i)
      patterns.push_back(
          path("page" + std::to_string(i) + "/", ViewName("page"), "page" + std::to_string(i)));
    for (int i = 0; i < 10; ++i)
      patterns.push_back(path("article" + std::to_string(i) + "/<int:year>/<slug:slug>/", ViewName("article"),
                              "article" + std::to_string(i)));
    patterns.push_back(path("shop/", include(std::move(app), "shop")));
    patterns.push_back(re_path(R"(^legacy/(?P<id>[0-9]+)/$)", ViewName("legacy"), "legacy"));
    return make_resolver(std::move(patterns));
  }();
  return resolver;
}

const std::map<std::string, std::string> kPaths = {
    {"first", "/page0/"},
    {"converter", "/article5/2020/hello-world/"},
    {"include", "/shop/item9/42/"},
    {"last", "/legacy/1234/"},
};

void resolve_path(benchmark::State& state, const std::string& p) {
  auto resolver = urlconf();
  for (auto _ : state) {
    auto match = resolver->resolve(p);
    benchmark::DoNotOptimize(match);
  }
}

void resolve_404(benchmark::State& state) {
  auto resolver = urlconf();
  for (auto _ : state) {
    try {
      resolver->resolve("/nowhere/");
    } catch (const Resolver404& e) {
      benchmark::DoNotOptimize(e.tried);
    }
  }
}

// Prints `name: value unit` lines and the ratio to Django's figure of the same name.
class Reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      double ns = run.GetAdjustedRealTime();
      std::string name = run.benchmark_name();
      duet_ns[name] = ns;
      std::printf("duet %s: %.0f ns\n", name.c_str(), ns);
    }
  }
  std::map<std::string, double> duet_ns;
};

}  // namespace

int main(int argc, char** argv) {
  for (const auto& [name, p] : kPaths)
    benchmark::RegisterBenchmark(name.c_str(), resolve_path, p);
  benchmark::RegisterBenchmark("404", resolve_404);
  benchmark::Initialize(&argc, argv);
  Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  if (std::getenv("DUET_BENCH_NO_DJANGO")) return 0;
  std::string command = "/usr/bin/python3 " DUET_URLS_BENCH_DIR "/django_bench.py";
  FILE* django = popen(command.c_str(), "r");
  if (!django) return 0;
  char line[256];
  while (std::fgets(line, sizeof line, django)) {
    char name[64];
    double ns = 0;
    if (std::sscanf(line, "django %63[^:]: %lf ns", name, &ns) != 2) continue;
    std::printf("django %s: %.0f ns\n", name, ns);
    if (auto it = reporter.duet_ns.find(name); it != reporter.duet_ns.end() && it->second > 0)
      std::printf("%s duet speed-up over django: %.1f x\n", name, ns / it->second);
  }
  pclose(django);
}
