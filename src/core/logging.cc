#include "core/logging.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace verbund {

namespace {
std::mutex g_mu;
}

void InitLogging(std::string_view level, LogFormat format) {
  std::lock_guard lock(g_mu);
  auto lvl = spdlog::level::from_str(std::string(level));
  spdlog::set_level(lvl);
  if (format == LogFormat::kJson) {
    spdlog::set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","thread":%t,"msg":"%v"})",
        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ [%n] %v", spdlog::pattern_time_type::utc);
  }
}

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  std::lock_guard lock(g_mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, spdlog::default_logger()->sinks().begin(),
                                                 spdlog::default_logger()->sinks().end());
  logger->set_level(spdlog::get_level());
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace verbund
