#include "server/demo_source.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace verbund::server {

DemoSource::DemoSource(const DemoConfig& config, boost::asio::io_context& ctx, mqtt::Router* router,
                       std::string mount)
    : config_(config), timer_(ctx), router_(router), mount_(std::move(mount)) {
  for (int i = 0; i < 6; ++i) temperature_[i] = 60 + 3 * i;
  for (int i = 0; i < 4; ++i) {
    lat_[i] = 48.137 + 0.01 * i;
    lon_[i] = 11.575 + 0.01 * i;
    fuel_[i] = 80 - 5 * i;
  }
  for (int i = 0; i < 3; ++i) energy_[i] = 1000 * (i + 1);
}

void DemoSource::Start() {
  timer_.expires_after(std::chrono::milliseconds(config_.interval_ms));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) Tick();
  });
}

void DemoSource::Stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  timer_.cancel(ignored);
}

void DemoSource::Publish(std::string topic, std::string payload) {
  auto msg = std::make_shared<mqtt::Message>();
  msg->topic = mount_ + topic;
  msg->payload = std::move(payload);
  msg->properties.content_type = "application/json";
  router_->Publish(std::move(msg));
}

void DemoSource::Tick() {
  ++tick_;
  std::normal_distribution<double> noise(0, 1);
  static const char* kLines[] = {"line1", "line2"};
  static const char* kMachines[] = {"press", "mill", "robot"};
  for (int i = 0; i < 6; ++i) {
    temperature_[i] = std::clamp(temperature_[i] + 0.3 * noise(rng_), 40.0, 95.0);
    double vibration = std::abs(2.0 + 0.4 * noise(rng_));
    int rpm = 1200 + static_cast<int>(50 * noise(rng_));
    Publish(fmt::format("factory/munich/{}/{}", kLines[i / 3], kMachines[i % 3]),
            fmt::format(R"({{"temperature":{:.2f},"vibration":{:.3f},"spindle_rpm":{},"status":"{}"}})",
                        temperature_[i], vibration, rpm, temperature_[i] > 90 ? "overheat" : "running"));
  }
  static const char* kFleets[] = {"north", "north", "south", "south"};
  for (int i = 0; i < 4; ++i) {
    lat_[i] += 0.0005 * noise(rng_);
    lon_[i] += 0.0005 * noise(rng_);
    fuel_[i] = fuel_[i] <= 5 ? 95 : fuel_[i] - 0.05;
    double speed = std::max(0.0, 60 + 15 * noise(rng_));
    Publish(fmt::format("fleet/{}/truck{}", kFleets[i], i),
            fmt::format(R"({{"latitude":{:.5f},"longitude":{:.5f},"speed_kmh":{:.1f},"fuel_pct":{:.1f}}})",
                        lat_[i], lon_[i], speed, fuel_[i]));
  }
  static const char* kDistricts[] = {"schwabing", "schwabing", "pasing"};
  for (int i = 0; i < 3; ++i) {
    double power = std::max(0.0, 3.5 + std::sin(tick_ / 30.0 + i) + 0.2 * noise(rng_));
    energy_[i] += power * config_.interval_ms / 3.6e6;
    Publish(fmt::format("meter/{}/meter{}", kDistricts[i], i),
            fmt::format(R"({{"power_kw":{:.3f},"voltage":{:.1f},"energy_kwh":{:.4f}}})", power,
                        230 + 2 * noise(rng_), energy_[i]));
  }
  Start();
}

}  // namespace verbund::server
