// Access-control hot path: 100 tenants x 100 rules (10,000 rules) of a realistic shape - per
// device placeholder rules (factory/%u/#), per-line wildcard rules, a few per-principal rules,
// narrower deny rules, data rules - checked against a topic mix of allowed and denied topics.
//
//   security_bench [--benchmark_filter=...]
//
// Reported per check (Google Benchmark's time per iteration; one iteration = one check).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "security/directory.h"
#include "security/rate_limiter.h"

namespace {

using namespace verbund;
using namespace verbund::security;

constexpr int kTenants = 100;
constexpr int kRulesPerTenant = 100;
constexpr int kPrincipalsPerTenant = 20;
constexpr int kTopicsPerIdentity = 16;

Rule R(const std::string& tenant, Effect e, Rights rights, std::string principal,
       std::string pattern) {
  Rule r;
  r.tenant = tenant;
  r.effect = e;
  r.rights = rights;
  r.principal = std::move(principal);
  r.pattern = std::move(pattern);
  return r;
}

struct Fixture {
  std::unique_ptr<Directory> dir;
  std::vector<Identity> identities;  // kTenants * kPrincipalsPerTenant
  std::vector<std::string> clients;
  std::vector<std::string> topics;  // per identity index modulo, see Topic()
  std::vector<SessionPolicy> sessions;

  Fixture() {
    std::string path = (std::filesystem::temp_directory_path() / "verbund_security_bench.dir");
    std::filesystem::remove(path);
    DirectoryOptions o;
    o.path = path;
    dir = std::move(Directory::Open(o)).value();
    const Rights pub = Bit(Right::kPublish), sub = Bit(Right::kSubscribe);
    for (int t = 0; t < kTenants; ++t) {
      std::string tenant = "tenant-" + std::to_string(t);
      (void)dir->CreateTenant(tenant);
      std::vector<Rule> rules;
      rules.push_back(R(tenant, Effect::kAllow, pub | sub, "*", "factory/%u/#"));
      rules.push_back(R(tenant, Effect::kAllow, pub, "*", "clients/%c/status"));
      rules.push_back(R(tenant, Effect::kAllow, sub, "*", "factory/+/status"));
      rules.push_back(R(tenant, Effect::kAllow, sub, "*", "alerts/#"));
      rules.push_back(R(tenant, Effect::kDeny, sub, "*", "alerts/hr/#"));
      rules.push_back(R(tenant, Effect::kAllow, Bit(Right::kWrite), "*", tenant + "/machine_*"));
      rules.push_back(R(tenant, Effect::kAllow, Bit(Right::kQuery), "*", tenant + "_*/*"));
      rules.push_back(R(tenant, Effect::kDeny, Bit(Right::kQuery), "*", tenant + "_hr/*"));
      for (int k = 0; rules.size() < kRulesPerTenant; ++k) {
        std::string line = "plant/line-" + std::to_string(k);
        switch (k % 4) {
          case 0:
            rules.push_back(R(tenant, Effect::kAllow, pub, "*", line + "/+/telemetry"));
            break;
          case 1:
            rules.push_back(R(tenant, Effect::kAllow, sub, "*", line + "/#"));
            break;
          case 2:
            rules.push_back(R(tenant, Effect::kDeny, pub | sub, "*", line + "/secret/#"));
            break;
          default:
            rules.push_back(R(tenant, Effect::kAllow, pub | sub,
                              "dev-" + std::to_string(k % kPrincipalsPerTenant),
                              "devices/dev-" + std::to_string(k % kPrincipalsPerTenant) + "/#"));
        }
      }
      (void)dir->AddRules(rules);
      for (int p = 0; p < kPrincipalsPerTenant; ++p) {
        std::string name = "dev-" + std::to_string(p);
        (void)dir->CreatePrincipal(tenant, name, PrincipalKind::kDevice);
        Identity id;
        id.tenant = tenant;
        id.principal = name;
        id.rights = kAllRights;
        identities.push_back(id);
        clients.push_back(tenant + "-" + name + "-client");
      }
    }
    // Per identity, a mix of the topics such a device publishes: mostly allowed (its own
    // factory subtree, line telemetry, its device topic), some denied (a line's secret
    // subtree, another device's subtree, an unknown prefix).
    std::mt19937 rng(7);
    for (size_t who = 0; who < identities.size(); ++who) {
      const std::string& me = identities[who].principal;
      for (int i = 0; i < kTopicsPerIdentity; ++i) {
        int line = 4 * (rng() % 23);  // lines whose telemetry rule allows publishing
        std::string t;
        switch (rng() % 10) {
          case 0:
          case 1:
          case 2:
          case 3:
            t = "factory/" + me + "/m" + std::to_string(rng() % 50) + "/temp";
            break;
          case 4:
          case 5:
          case 6:
            t = "plant/line-" + std::to_string(line) + "/m" + std::to_string(rng() % 10) +
                "/telemetry";
            break;
          case 7:
            t = "devices/" + me + "/status";
            break;
          case 8:
            t = "plant/line-" + std::to_string(line + 2) + "/secret/x";
            break;
          default:
            t = rng() % 2 ? "factory/dev-x/m1/temp" : "unknown/a/b/c";
        }
        topics.push_back(t);
      }
    }
    auto snap = dir->snapshot();
    for (size_t i = 0; i < identities.size(); ++i) {
      sessions.push_back(snap->PolicyFor(identities[i], clients[i]));
    }
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

void BM_SnapshotAllowedPublish(benchmark::State& state) {
  Fixture& f = F();
  auto snap = f.dir->snapshot();
  size_t i = 0, allowed = 0;
  for (auto _ : state) {
    size_t who = (i * 7919) % f.identities.size();
    allowed +=
        snap->Allowed(f.identities[who], Right::kPublish,
                      f.topics[who * kTopicsPerIdentity + i % kTopicsPerIdentity], f.clients[who]);
    ++i;
  }
  state.counters["allowed_pct"] = 100.0 * allowed / i;
}
BENCHMARK(BM_SnapshotAllowedPublish);

void BM_SessionAllowedPublish(benchmark::State& state) {
  Fixture& f = F();
  size_t i = 0, allowed = 0;
  for (auto _ : state) {
    size_t who = (i * 7919) % f.sessions.size();
    allowed += f.sessions[who].Allowed(Right::kPublish,
                                       f.topics[who * kTopicsPerIdentity + i % kTopicsPerIdentity]);
    ++i;
  }
  state.counters["allowed_pct"] = 100.0 * allowed / i;
}
BENCHMARK(BM_SessionAllowedPublish);

// As a broker sees it: a read cycle handles several messages of one session in a row.
void BM_SessionAllowedPublishBursts(benchmark::State& state) {
  Fixture& f = F();
  size_t i = 0, allowed = 0;
  for (auto _ : state) {
    size_t who = ((i / kTopicsPerIdentity) * 7919) % f.sessions.size();
    allowed += f.sessions[who].Allowed(Right::kPublish,
                                       f.topics[who * kTopicsPerIdentity + i % kTopicsPerIdentity]);
    ++i;
  }
  state.counters["allowed_pct"] = 100.0 * allowed / i;
}
BENCHMARK(BM_SessionAllowedPublishBursts);

void BM_SessionCanReceive(benchmark::State& state) {
  Fixture& f = F();
  size_t i = 0, allowed = 0;
  for (auto _ : state) {
    size_t who = (i * 7919) % f.sessions.size();
    allowed +=
        f.sessions[who].CanReceive(f.topics[who * kTopicsPerIdentity + i % kTopicsPerIdentity]);
    ++i;
  }
  state.counters["allowed_pct"] = 100.0 * allowed / i;
}
BENCHMARK(BM_SessionCanReceive);

void BM_SessionCanSubscribe(benchmark::State& state) {
  Fixture& f = F();
  static const std::vector<std::string> kFilters = {
      "factory/dev-3/#",  "plant/line-5/#", "plant/line-5/+/x", "alerts/#", "alerts/hr/#", "#",
      "factory/+/status", "devices/dev-3/+"};
  size_t i = 0;
  for (auto _ : state) {
    size_t who = (i * 7919) % f.sessions.size();
    benchmark::DoNotOptimize(f.sessions[who].CanSubscribe(kFilters[i % kFilters.size()]));
    ++i;
  }
}
BENCHMARK(BM_SessionCanSubscribe);

void BM_SessionAllowedWrite(benchmark::State& state) {
  Fixture& f = F();
  std::vector<std::string> subjects;
  for (int t = 0; t < kTenants; ++t) {
    std::string tenant = "tenant-" + std::to_string(t);
    subjects.push_back(tenant + "/machine_" + std::to_string(t));
  }
  size_t i = 0;
  for (auto _ : state) {
    size_t who = (i * 7919) % f.sessions.size();
    benchmark::DoNotOptimize(
        f.sessions[who].Allowed(Right::kWrite, subjects[who / kPrincipalsPerTenant]));
    ++i;
  }
}
BENCHMARK(BM_SessionAllowedWrite);

void BM_PolicyFor(benchmark::State& state) {
  Fixture& f = F();
  auto snap = f.dir->snapshot();
  size_t i = 0;
  for (auto _ : state) {
    size_t who = i++ % f.identities.size();
    benchmark::DoNotOptimize(snap->PolicyFor(f.identities[who], f.clients[who]));
  }
}
BENCHMARK(BM_PolicyFor);

void BM_RateLimiter(benchmark::State& state) {
  RateLimiter rl(1'000'000'000, 1'000'000'000);
  int64_t now = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(rl.TryAcquire(100, now));
    now += 100;
  }
}
BENCHMARK(BM_RateLimiter);

}  // namespace

BENCHMARK_MAIN();
