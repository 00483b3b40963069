// Publishes simulated industrial readings into the router so a new user has something to look
// at: a factory (machines with temperature, vibration, spindle speed), a truck fleet (position,
// speed, fuel) and smart meters (power, voltage, energy). JSON payloads, QoS 0, retained off.
#pragma once

#include <memory>
#include <random>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/config.h"
#include "mqtt/router.h"

namespace verbund::server {

class DemoSource {
 public:
  // `mount`: the namespace of the tenant the readings belong to ("demo/"), see mqtt::Principal.
  DemoSource(const DemoConfig& config, boost::asio::io_context& ctx, mqtt::Router* router,
             std::string mount);
  void Start();
  void Stop();

 private:
  void Tick();
  void Publish(std::string topic, std::string payload);

  DemoConfig config_;
  boost::asio::steady_timer timer_;
  mqtt::Router* router_;
  const std::string mount_;
  std::mt19937_64 rng_{20261125};
  uint64_t tick_ = 0;
  bool stopped_ = false;
  // Random-walk state.
  double temperature_[6] = {};
  double lat_[4] = {}, lon_[4] = {}, fuel_[4] = {};
  double energy_[3] = {};
};

}  // namespace verbund::server
