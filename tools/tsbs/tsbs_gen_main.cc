// verbund-tsbs-gen: writes the TSBS IoT data set as InfluxDB line protocol to stdout.
//   verbund-tsbs-gen --trucks 100 --duration 1d --seed 123 > iot.lp
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "tools/tsbs/iot_generator.h"

namespace {

// "10s", "5m", "2h", "1d" or plain nanoseconds.
bool ParseDuration(const std::string& s, int64_t* ns) {
  size_t pos = 0;
  long long n = 0;
  try {
    n = std::stoll(s, &pos);
  } catch (...) {
    return false;
  }
  std::string unit = s.substr(pos);
  int64_t mul = 1;
  if (unit == "" || unit == "ns")
    mul = 1;
  else if (unit == "ms")
    mul = 1'000'000;
  else if (unit == "s")
    mul = 1'000'000'000;
  else if (unit == "m")
    mul = 60'000'000'000;
  else if (unit == "h")
    mul = 3'600'000'000'000;
  else if (unit == "d")
    mul = 86'400'000'000'000;
  else
    return false;
  *ns = n * mul;
  return n > 0;
}

}  // namespace

int main(int argc, char** argv) {
  verbund::tsbs::IotOptions opt;
  std::string duration = "1d", interval = "10s", format = "influx";
  int64_t start = opt.start;
  CLI::App app{"TSBS IoT data generator (InfluxDB line protocol on stdout)"};
  app.add_option("--trucks", opt.trucks, "number of trucks")->capture_default_str();
  app.add_option("--start", start, "first timestamp, ns since the epoch")->capture_default_str();
  app.add_option("--duration", duration, "time range: 10s, 5m, 2h, 1d")->capture_default_str();
  app.add_option("--interval", interval, "reporting interval")->capture_default_str();
  app.add_option("--seed", opt.seed, "random seed")->capture_default_str();
  app.add_option("--out-of-order", opt.out_of_order_fraction, "fraction of rows delivered late")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--max-delay", opt.max_delay_intervals, "late rows: max delay in intervals");
  app.add_option("--missing", opt.missing_fraction, "fraction of rows dropped")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--format", format, "influx (line protocol) or count")
      ->check(CLI::IsMember({"influx", "count"}));
  CLI11_PARSE(app, argc, argv);

  int64_t duration_ns = 0;
  if (!ParseDuration(duration, &duration_ns) || !ParseDuration(interval, &opt.interval_ns)) {
    std::fprintf(stderr, "bad --duration or --interval\n");
    return 2;
  }
  opt.start = start;
  opt.end = start + duration_ns;

  verbund::tsbs::IotGenerator gen(opt);
  verbund::tsbs::Row row;
  uint64_t rows = 0;
  std::string buf;
  buf.reserve(1 << 20);
  while (gen.Next(&row)) {
    ++rows;
    if (format == "count") continue;
    verbund::tsbs::AppendLineProtocol(row, &buf);
    if (buf.size() >= (1 << 20) - 1024) {
      if (std::fwrite(buf.data(), 1, buf.size(), stdout) != buf.size()) return 1;
      buf.clear();
    }
  }
  if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), stdout) != buf.size()) return 1;
  if (format == "count") std::printf("%llu\n", static_cast<unsigned long long>(rows));
  return std::fflush(stdout) == 0 ? 0 : 1;
}
