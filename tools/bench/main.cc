// verbund-bench: MQTT load generator. Publishers stamp a send time into each payload;
// subscribers (in the same process, same steady clock) record end-to-end latency.
//
//   pairs  (default)  publisher i -> topic(i) -> subscribers j with j % publishers == i
//   --fanout          every publisher and subscriber use topic(0)
//   --idle N          hold N idle connections for --duration seconds (memory per connection)
//
// --topic, --client-id, --username and --password are templates expanded per client:
//   {i} the client's index among its role (publishers, subscribers or idle connections)
//   {r} its role: p, s or i
//   {k} its pair: the publisher's index; for subscriber j, j % publishers (0 with --fanout)
//   {t} its tenant, {k} % --tenants, so both ends of a pair share it
//   {pid} this process's id;  %i in --topic is {k} (the older spelling)
// e.g. --tenants 100 --username 'tenant{t}/bench-{r}{i}'
//      --topic 'tenant{t}/site0/line0/bench-p{k}/data'
//
// The last line with --json is one JSON object with the results.
#include <sys/resource.h>
#include <unistd.h>

// clang-format off
#include <utility>  // before Boost.Asio 1.74 (std::exchange)
// clang-format on

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client.h"

namespace verbund::bench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 1883;
  int publishers = 1;
  int subscribers = 1;
  int qos = 0;
  size_t payload = 64;
  bool json_readings = false;
  double rate = 0;
  double duration = 10;
  std::string topic = "bench/%i";
  std::string client_id = "vb-{r}{i}-{pid}";
  std::optional<std::string> username;
  std::optional<std::string> password;
  int tenants = 1;
  bool fanout = false;
  int idle = 0;
  std::string source_ips;
  int mqtt_version = 4;
  uint32_t inflight = 64;
  int threads = 0;
  int max_pending_connects = 256;
  double drain = 10;
  double connect_timeout = 120;
  bool json = false;
  bool quiet = false;
  int broker_pid = 0;  // > 0: report the broker's CPU time while publishing and draining
};

// User plus system CPU seconds of a process (fields 14 and 15 of /proc/PID/stat, counted after
// the parenthesised command name, which may itself hold spaces); nullopt when unreadable.
std::optional<double> ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string skip;
  for (int i = 3; i <= 13; ++i) fields >> skip;  // state .. cmajflt
  unsigned long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The values a template may use for one client (see the top of this file).
struct TemplateFields {
  char role = 'p';
  int index = 0;
  int pair = 0;
  int tenant = 0;
};

// Expands {i} {r} {k} {t} {pid} (and the legacy %i = {k}); nullopt names an unknown field.
std::optional<std::string> Expand(std::string_view pattern, const TemplateFields& f,
                                  std::string* unknown = nullptr) {
  std::string out;
  size_t pos = 0;
  while (pos < pattern.size()) {
    const char c = pattern[pos];
    if (c == '%' && pattern.substr(pos, 2) == "%i") {
      out += std::to_string(f.pair);
      pos += 2;
      continue;
    }
    if (c != '{') {
      out += c;
      ++pos;
      continue;
    }
    const size_t close = pattern.find('}', pos);
    if (close == std::string_view::npos) {
      if (unknown) *unknown = std::string(pattern.substr(pos));
      return std::nullopt;
    }
    const std::string_view name = pattern.substr(pos + 1, close - pos - 1);
    if (name == "i") {
      out += std::to_string(f.index);
    } else if (name == "r") {
      out += f.role;
    } else if (name == "k") {
      out += std::to_string(f.pair);
    } else if (name == "t") {
      out += std::to_string(f.tenant);
    } else if (name == "pid") {
      out += std::to_string(getpid());
    } else {
      if (unknown) *unknown = std::string(pattern.substr(pos, close - pos + 1));
      return std::nullopt;
    }
    pos = close + 1;
  }
  return out;
}

// Expands with known-good templates (checked by CheckTemplates at start-up).
std::string ExpandChecked(std::string_view pattern, const TemplateFields& f) {
  return Expand(pattern, f).value_or(std::string());
}

// "127.0.0.1-127.0.0.50,10.0.0.1" -> every address in the ranges.
bool ParseSourceIps(const std::string& spec, std::vector<asio::ip::address_v4>* out) {
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    boost::system::error_code ec1, ec2;
    const auto dash = item.find('-');
    const auto first = asio::ip::make_address_v4(item.substr(0, dash), ec1);
    const auto last =
        dash == std::string::npos ? first : asio::ip::make_address_v4(item.substr(dash + 1), ec2);
    if (ec1 || ec2 || last.to_uint() < first.to_uint()) return false;
    for (uint32_t a = first.to_uint(); a <= last.to_uint() && out->size() < 65536; ++a) {
      out->push_back(asio::ip::address_v4(a));
    }
  }
  return true;
}

void RaiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Refuses unknown template fields and a password without a user name.
bool CheckOptions(const Options& o) {
  const std::pair<const char*, const std::string*> templates[] = {
      {"--topic", &o.topic},
      {"--client-id", &o.client_id},
      {"--username", o.username ? &*o.username : nullptr},
      {"--password", o.password ? &*o.password : nullptr},
  };
  for (const auto& [flag, text] : templates) {
    if (text == nullptr) continue;
    std::string unknown;
    if (!Expand(*text, TemplateFields{}, &unknown)) {
      std::fprintf(stderr, "%s: unknown template field %s (see --help-templates)\n", flag,
                   unknown.c_str());
      return false;
    }
  }
  if (o.password && !o.username) {
    std::fprintf(stderr, "--password needs --username\n");
    return false;
  }
  return true;
}

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o) {}

  int Run() {
    RaiseFdLimit();
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(o_.host, ec);
    if (ec) {
      asio::io_context tmp;
      asio::ip::tcp::resolver resolver(tmp);
      auto results = resolver.resolve(o_.host, std::to_string(o_.port), ec);
      if (ec || results.empty()) {
        std::fprintf(stderr, "cannot resolve %s: %s\n", o_.host.c_str(), ec.message().c_str());
        return 2;
      }
      addr = results.begin()->endpoint().address();
    }
    server_ = asio::ip::tcp::endpoint(addr, o_.port);
    if (!o_.source_ips.empty() && !ParseSourceIps(o_.source_ips, &sources_)) {
      std::fprintf(stderr, "bad --source-ips %s\n", o_.source_ips.c_str());
      return 2;
    }
    StartThreads();
    const int rc = o_.idle > 0 ? RunIdle() : RunTraffic();
    StopThreads();
    return rc;
  }

 private:
  void StartThreads() {
    int n = o_.threads > 0 ? o_.threads : static_cast<int>(std::thread::hardware_concurrency());
    if (n <= 0) n = 1;
    for (int i = 0; i < n; ++i) {
      ios_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(asio::make_work_guard(*ios_.back()));
    }
    for (auto& io : ios_) threads_.emplace_back([ioc = io.get()] { ioc->run(); });
  }

  void StopThreads() {
    for (auto& g : guards_) g.reset();
    for (auto& io : ios_) io->stop();
    for (auto& t : threads_) t.join();
    // Handlers reference the clients: destroy them only after the threads are gone.
    clients_.clear();
  }

  // `pair` is the client's {k}: its topic index (see the top of this file).
  Client* AddClient(Role role, int index, int pair) {
    ClientConfig c;
    c.server = server_;
    if (!sources_.empty()) c.source = sources_[clients_.size() % sources_.size()];
    c.version = o_.mqtt_version == 5 ? mqtt::ProtocolVersion::kV5 : mqtt::ProtocolVersion::kV311;
    TemplateFields f;
    f.role = role == Role::kPublisher ? 'p' : role == Role::kSubscriber ? 's' : 'i';
    f.index = index;
    f.pair = pair;
    f.tenant = pair % o_.tenants;
    c.client_id = ExpandChecked(o_.client_id, f);
    if (o_.username) c.username = ExpandChecked(*o_.username, f);
    if (o_.password) c.password = ExpandChecked(*o_.password, f);
    if (role != Role::kIdle) c.topic = ExpandChecked(o_.topic, f);
    c.qos = static_cast<uint8_t>(o_.qos);
    c.payload_size = o_.payload;
    c.json_readings = o_.json_readings;
    c.rate = o_.rate;
    c.window = o_.inflight;
    c.keep_alive = role == Role::kIdle ? 600 : 60;
    auto& io = *ios_[clients_.size() % ios_.size()];
    clients_.push_back(std::make_unique<Client>(io, role, std::move(c), &shared_));
    return clients_.back().get();
  }

  template <typename F>
  void PostAll(Role role, F f) {
    for (auto& c : clients_) {
      if (c->role() == role) asio::post(c->io(), [cl = c.get(), f] { f(cl); });
    }
  }

  // Starts clients [first, end) with at most max_pending_connects handshakes in flight;
  // returns false if some did not become ready in time.
  bool ConnectRange(size_t first, size_t end) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(o_.connect_timeout);
    const uint64_t base = shared_.ready + shared_.failed;
    uint64_t started = 0;
    for (size_t i = first; i < end; ++i) {
      while (started - (shared_.ready + shared_.failed - base) >=
                 static_cast<uint64_t>(o_.max_pending_connects) &&
             Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      Client* c = clients_[i].get();
      asio::post(c->io(), [c] { c->Start(); });
      ++started;
    }
    while (shared_.ready + shared_.failed - base < started && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return shared_.ready + shared_.failed - base == started;
  }

  void KeepAlive() {
    for (auto& c : clients_) asio::post(c->io(), [cl = c.get()] { cl->KeepAliveTick(); });
  }

  void DisconnectAll() {
    for (auto& c : clients_) asio::post(c->io(), [cl = c.get()] { cl->Disconnect(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }

  int RunIdle() {
    const auto t0 = Clock::now();
    for (int i = 0; i < o_.idle; ++i) AddClient(Role::kIdle, i, i);
    ConnectRange(0, clients_.size());
    const double connect_s = Seconds(Clock::now() - t0);
    const uint64_t connected = shared_.ready - CountDead();
    // The run script waits for this line before sampling the server's memory.
    std::printf("READY idle connected=%llu failed=%llu connect_s=%.2f\n",
                static_cast<unsigned long long>(connected),
                static_cast<unsigned long long>(shared_.failed.load()), connect_s);
    std::fflush(stdout);
    const auto hold_end = Clock::now() + std::chrono::duration<double>(o_.duration);
    auto next_ping = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < hold_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (Clock::now() >= next_ping) {
        KeepAlive();
        next_ping += std::chrono::seconds(5);
      }
    }
    const uint64_t still = shared_.ready - CountDead();
    DisconnectAll();
    if (!o_.json) {
      std::printf("idle: %d requested, %llu connected, %llu still connected after %.0fs, "
                  "%llu errors\n",
                  o_.idle, static_cast<unsigned long long>(connected),
                  static_cast<unsigned long long>(still), o_.duration,
                  static_cast<unsigned long long>(shared_.errors.load()));
    } else {
      std::printf("{\"mode\":\"idle\",\"requested\":%d,\"connected\":%llu,\"still_connected\":%llu,"
                  "\"connect_failures\":%llu,\"connect_s\":%.3f,\"errors\":%llu}\n",
                  o_.idle, static_cast<unsigned long long>(connected),
                  static_cast<unsigned long long>(still),
                  static_cast<unsigned long long>(shared_.failed.load()), connect_s,
                  static_cast<unsigned long long>(shared_.errors.load()));
    }
    return connected == 0 ? 1 : 0;
  }

  uint64_t CountDead() const {
    uint64_t n = 0;
    for (auto& c : clients_) n += c->dead();
    return n;
  }

  struct Totals {
    uint64_t sent = 0, completed = 0, inflight = 0, received = 0;
  };
  Totals Sum() const {
    Totals t;
    for (auto& c : clients_) {
      t.sent += c->sent();
      t.completed += c->completed();
      t.inflight += c->inflight();
      t.received += c->received();
    }
    return t;
  }

  int RunTraffic() {
    const int pubs = o_.publishers;
    const int subs = o_.subscribers;
    if (pubs <= 0) {
      std::fprintf(stderr, "need at least one publisher\n");
      return 2;
    }
    // Subscribers first, so nothing published is missed.
    std::vector<int> subs_per_topic(pubs, 0);
    for (int j = 0; j < subs; ++j) {
      const int t = o_.fanout ? 0 : j % pubs;
      subs_per_topic[t]++;
      AddClient(Role::kSubscriber, j, t);
    }
    if (!ConnectRange(0, clients_.size())) {
      std::fprintf(stderr, "warning: not all subscribers ready\n");
    }
    for (int i = 0; i < pubs; ++i) AddClient(Role::kPublisher, i, o_.fanout ? 0 : i);
    if (!ConnectRange(subs, clients_.size())) {
      std::fprintf(stderr, "warning: not all publishers ready\n");
    }
    const uint64_t failed_connects = shared_.failed;

    const std::optional<double> cpu0 =
        o_.broker_pid > 0 ? ProcessCpuSeconds(o_.broker_pid) : std::nullopt;
    const auto t0 = Clock::now();
    PostAll(Role::kPublisher, [](Client* c) { c->StartPublishing(); });
    const auto t_end = t0 + std::chrono::duration<double>(o_.duration);
    auto next_report = t0 + std::chrono::seconds(1);
    auto next_ping = t0 + std::chrono::seconds(5);
    Totals last{};
    while (Clock::now() < t_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      const auto now = Clock::now();
      if (now >= next_report) {
        const Totals t = Sum();
        if (!o_.quiet) {
          std::fprintf(stderr, "t=%4.0fs sent %9llu/s recv %9llu/s inflight %llu errors %llu\n",
                       Seconds(now - t0), static_cast<unsigned long long>(t.sent - last.sent),
                       static_cast<unsigned long long>(t.received - last.received),
                       static_cast<unsigned long long>(t.inflight),
                       static_cast<unsigned long long>(shared_.errors.load()));
        }
        last = t;
        next_report += std::chrono::seconds(1);
      }
      if (now >= next_ping) {
        KeepAlive();
        next_ping += std::chrono::seconds(5);
      }
    }
    PostAll(Role::kPublisher, [](Client* c) { c->StopPublishing(); });
    const double publish_s = Seconds(Clock::now() - t0);

    // Drain: wait for outstanding acks and deliveries until nothing moves for a second.
    auto last_change = Clock::now();
    Totals prev = Sum();
    const auto drain_end = Clock::now() + std::chrono::duration<double>(o_.drain);
    while (Clock::now() < drain_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      const Totals t = Sum();
      if (t.received != prev.received || t.completed != prev.completed) {
        last_change = Clock::now();
        prev = t;
      } else if (Clock::now() - last_change > std::chrono::seconds(1)) {
        break;
      }
    }
    const Totals t = Sum();
    const double recv_s = std::max(publish_s, Seconds(last_change - t0));
    std::optional<double> broker_cpu_s;
    if (cpu0) {
      if (auto cpu1 = ProcessCpuSeconds(o_.broker_pid)) broker_cpu_s = *cpu1 - *cpu0;
    }
    DisconnectAll();
    StopThreadsKeepClients();

    uint64_t expected = 0;
    // Publishers follow the subscribers in clients_, in index order.
    for (size_t k = subs; k < clients_.size(); ++k) {
      const int i = static_cast<int>(k) - subs;
      expected += clients_[k]->sent() * static_cast<uint64_t>(o_.fanout ? subs : subs_per_topic[i]);
    }
    LatencyHistogram h;
    for (auto& c : clients_) h.Merge(c->latency());
    Report(t, expected, publish_s, recv_s, h, failed_connects, broker_cpu_s);
    return shared_.ready == 0 ? 1 : 0;  // nothing connected: the run measured nothing
  }

  void StopThreadsKeepClients() {
    for (auto& g : guards_) g.reset();
    for (auto& io : ios_) io->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  void Report(const Totals& t, uint64_t expected, double publish_s, double recv_s,
              const LatencyHistogram& h, uint64_t failed_connects,
              std::optional<double> broker_cpu_s) {
    auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    const double sent_rate = t.sent / publish_s;
    const double recv_rate = t.received / recv_s;
    const uint64_t errors = shared_.errors;
    if (!o_.json || !o_.quiet) {
      FILE* out = o_.json ? stderr : stdout;
      std::fprintf(out,
                   "mode=%s mqtt=%s qos=%d publishers=%d subscribers=%d payload=%zuB rate=%s "
                   "duration=%.1fs\n",
                   o_.fanout ? "fanout" : "pairs", o_.mqtt_version == 5 ? "5.0" : "3.1.1", o_.qos,
                   o_.publishers, o_.subscribers, std::max<size_t>(o_.payload, 8),
                   o_.rate > 0 ? (std::to_string(static_cast<int64_t>(o_.rate)) + "/s").c_str()
                               : "max",
                   publish_s);
      std::fprintf(out, "sent      %12llu  %12.0f msg/s\n",
                   static_cast<unsigned long long>(t.sent), sent_rate);
      if (o_.qos > 0) {
        std::fprintf(out, "completed %12llu  (acked by the broker; %llu still in flight)\n",
                     static_cast<unsigned long long>(t.completed),
                     static_cast<unsigned long long>(t.inflight));
      }
      std::fprintf(out, "received  %12llu  %12.0f msg/s  (%.2f%% of %llu expected)\n",
                   static_cast<unsigned long long>(t.received), recv_rate,
                   expected ? 100.0 * t.received / expected : 0.0,
                   static_cast<unsigned long long>(expected));
      std::fprintf(out, "latency   p50 %.0fus  p90 %.0fus  p99 %.0fus  max %.0fus  (%llu samples)\n",
                   us(h.Percentile(0.50)), us(h.Percentile(0.90)), us(h.Percentile(0.99)),
                   us(h.max()), static_cast<unsigned long long>(h.count()));
      if (broker_cpu_s) {
        std::fprintf(out, "broker    %.2f CPU-s while publishing and draining, %.0f ns/received\n",
                     *broker_cpu_s, t.received ? *broker_cpu_s * 1e9 / t.received : 0.0);
      }
      std::fprintf(out, "errors    %llu (connect failures %llu)\n",
                   static_cast<unsigned long long>(errors),
                   static_cast<unsigned long long>(failed_connects));
    }
    if (o_.json) {
      std::printf(
          "{\"mode\":\"%s\",\"mqtt_version\":%d,\"qos\":%d,\"publishers\":%d,\"subscribers\":%d,"
          "\"payload\":%zu,\"rate\":%.0f,\"duration_s\":%.3f,\"sent\":%llu,\"completed\":%llu,"
          "\"received\":%llu,\"expected\":%llu,\"sent_per_s\":%.1f,\"received_per_s\":%.1f,"
          "\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"samples\":%llu},"
          "\"errors\":%llu,\"connect_failures\":%llu,\"broker_cpu_s\":%s}\n",
          o_.fanout ? "fanout" : "pairs", o_.mqtt_version, o_.qos, o_.publishers, o_.subscribers,
          std::max<size_t>(o_.payload, 8), o_.rate, publish_s,
          static_cast<unsigned long long>(t.sent), static_cast<unsigned long long>(t.completed),
          static_cast<unsigned long long>(t.received), static_cast<unsigned long long>(expected),
          sent_rate, recv_rate, us(h.Percentile(0.50)), us(h.Percentile(0.90)),
          us(h.Percentile(0.99)), us(h.max()), static_cast<unsigned long long>(h.count()),
          static_cast<unsigned long long>(errors), static_cast<unsigned long long>(failed_connects),
          broker_cpu_s ? std::to_string(*broker_cpu_s).c_str() : "null");
    }
    std::fflush(stdout);
  }

  const Options o_;
  asio::ip::tcp::endpoint server_;
  std::vector<asio::ip::address_v4> sources_;
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<Client>> clients_;
  SharedCounters shared_;
};

}  // namespace
}  // namespace verbund::bench

int main(int argc, char** argv) {
  verbund::bench::Options o;
  CLI::App app{"verbund-bench: MQTT load generator (throughput, latency, fan-out, idle connections)"};
  app.add_option("--host", o.host, "broker host")->capture_default_str();
  app.add_option("--port", o.port, "broker port")->capture_default_str();
  app.add_option("--publishers", o.publishers, "publisher connections")->capture_default_str();
  app.add_option("--subscribers", o.subscribers, "subscriber connections")->capture_default_str();
  app.add_option("--qos", o.qos, "QoS of publishes and subscriptions")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  app.add_flag("--json-readings", o.json_readings,
               "publish JSON readings (for storage ingest) instead of timestamped bytes");
  app.add_option("--payload", o.payload, "payload bytes (min 8: the send timestamp)")
      ->capture_default_str();
  app.add_option("--rate", o.rate, "messages/s per publisher; 0 = as fast as possible")
      ->capture_default_str();
  app.add_option("--duration", o.duration, "seconds of publishing (or holding, with --idle)")
      ->capture_default_str();
  app.add_option("--topic", o.topic, "topic template (fields: see --help-templates); %i = {k}")
      ->capture_default_str();
  app.add_option("--client-id", o.client_id, "client id template")->capture_default_str();
  app.add_option("--username", o.username,
                 "CONNECT user name template, e.g. 'tenant{t}/bench-{r}{i}' (default: none)");
  app.add_option("--password", o.password, "CONNECT password template (needs --username)");
  app.add_option("--tenants", o.tenants, "N for the {t} field: {t} = {k} % N")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bool help_templates = false;
  app.add_flag("--help-templates", help_templates, "explain the template fields and exit");
  app.add_flag("--fanout", o.fanout, "all publishers and subscribers share topic(0)");
  app.add_option("--idle", o.idle, "only hold N idle connections open");
  app.add_option("--source-ips", o.source_ips,
                 "bind connections over these local addresses, e.g. 127.0.0.1-127.0.0.50");
  app.add_option("--mqtt-version", o.mqtt_version, "4 (3.1.1) or 5")
      ->check(CLI::IsMember({4, 5}))
      ->capture_default_str();
  app.add_option("--inflight", o.inflight, "QoS 1/2 window per publisher")
      ->check(CLI::Range(1, 65000))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "I/O threads (0 = one per core)")->capture_default_str();
  app.add_option("--max-pending-connects", o.max_pending_connects,
                 "handshakes in flight while connecting")
      ->capture_default_str();
  app.add_option("--drain", o.drain, "max seconds to wait for deliveries after publishing")
      ->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout, "seconds")->capture_default_str();
  app.add_option("--broker-pid", o.broker_pid,
                 "the broker's process id: report its CPU time while publishing and draining")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", o.json, "print one JSON result line at the end");
  app.add_flag("--quiet", o.quiet, "no per-second progress; with --json only the JSON line");
  CLI11_PARSE(app, argc, argv);
  if (help_templates) {
    std::printf(
        "--topic, --client-id, --username and --password are expanded per client:\n"
        "  {i}    the client's index among its role (publishers, subscribers, idle)\n"
        "  {r}    its role: p, s or i\n"
        "  {k}    its pair: a publisher's index; subscriber j: j %% publishers (0 with "
        "--fanout; idle: {i})\n"
        "  {t}    its tenant: {k} %% --tenants, the same for both ends of a pair\n"
        "  {pid}  this process's id\n"
        "  %%i     in --topic: {k}\n"
        "e.g. --tenants 100 --username 'tenant{t}/bench-{r}{i}' --password pw\n"
        "     --topic 'tenant{t}/site0/line0/bench-p{k}/data'\n");
    return 0;
  }
  return verbund::bench::CheckOptions(o) ? verbund::bench::Bench(o).Run() : 2;
}
