// Request-target and form decoding for the HTTP API: path/query split, percent-decoding and
// application/x-www-form-urlencoded parameters (as Go's net/url parses them for InfluxDB).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace verbund::http {

// Ordered name/value pairs; a name may repeat (the first value wins in Get).
class Params {
 public:
  void Add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  // The first value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  // Adds every pair of `other` in front of ours, so its values win (form body over URL query).
  void PrependAll(const Params& other);
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// A whole decimal int64 ("-12"; no spaces, no sign-only, no trailing text).
bool ParseInt64(std::string_view s, int64_t* out);

// "%41+b" -> "A b" when plus_is_space. Malformed for a bad "%" escape.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// "a=1&b=x%20y&c" -> {a:1, b:"x y", c:""}. Empty pieces are skipped. Malformed on a bad escape.
Result<Params> ParseQueryString(std::string_view s);

struct Target {
  std::string path;   // decoded path
  Params params;      // decoded query parameters
};
// "/query?db=x&q=SELECT..." -> path and parameters.
Result<Target> ParseTarget(std::string_view target);

}  // namespace verbund::http
