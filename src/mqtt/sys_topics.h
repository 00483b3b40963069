// The broker's own statistics under $SYS/broker/..., as mosquitto publishes them, so MQTT tools
// (mosquitto_sub -t '$SYS/#', dashboards) can watch the hub without HTTP. Retained, republished
// every interval; never persisted (they describe the running process). A leading wildcard does
// not match them (MQTT 4.7.2).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>

#include "mqtt/broker.h"

namespace verbund::mqtt {

class SysPublisher {
 public:
  SysPublisher(Broker& broker, boost::asio::io_context& ctx, std::string version,
               std::chrono::seconds interval);

  // Publishes now, then every interval. Start and Stop run on `ctx`'s thread.
  void Start();
  void Stop();

 private:
  void Tick();
  void Put(const std::string& topic, std::string value);

  Broker& broker_;
  boost::asio::steady_timer timer_;
  std::string version_;
  std::chrono::seconds interval_;
  int64_t started_ns_ = 0;
  bool stopped_ = false;
};

}  // namespace verbund::mqtt
