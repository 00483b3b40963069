// Structured logging on spdlog: one line per event, `key=value` pairs after the message, so
// logs can be grepped and parsed. Every subsystem logs through its own named logger.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace verbund {

enum class LogFormat { kText, kJson };

// Sets up the default sink and level ("trace".."critical", "off"). Call once from main.
void InitLogging(std::string_view level, LogFormat format = LogFormat::kText);

// A named logger ("mqtt", "storage", ...) sharing the default sinks. Thread-safe.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

}  // namespace verbund
