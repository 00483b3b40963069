// Response builders shared by the API's handlers (api.cc, write.cc). Internal to verbund_http.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "http/api.h"

namespace verbund::http {

inline constexpr std::string_view kJson = "application/json";

inline Response Json(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = std::string(kJson);
  r.body = std::move(body);
  return r;
}

inline Response Empty(unsigned status) {
  Response r;
  r.status = status;
  r.content_type = std::string(kJson);  // as InfluxDB sends it, even on 204
  return r;
}

// An InfluxDB-style error: {"error":"..."} and the X-Influxdb-Error header.
inline Response Error(unsigned status, std::string message) {
  Response r = Json(status, InfluxError(message));
  r.error_message = std::move(message);
  return r;
}

inline Response NativeError(unsigned status, std::string_view code, std::string_view message) {
  return Json(status, ApiError(code, message));
}

// A Status as a native API error: 400 invalid_argument, 404 not_found, 409 already_exists or
// failed_precondition, 403 permission_denied, 401 unauthenticated, 503 unavailable or
// resource_exhausted, else 500; OK is 204.
inline Response NativeStatusError(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk:
      return Empty(204);
    case StatusCode::kInvalidArgument:
    case StatusCode::kMalformed:
      return NativeError(400, "invalid_argument", st.message());
    case StatusCode::kNotFound:
      return NativeError(404, "not_found", st.message());
    case StatusCode::kAlreadyExists:
      return NativeError(409, "already_exists", st.message());
    case StatusCode::kFailedPrecondition:
      return NativeError(409, "failed_precondition", st.message());
    case StatusCode::kPermissionDenied:
      return NativeError(403, "permission_denied", st.message());
    case StatusCode::kUnauthenticated:
      return NativeError(401, "unauthenticated", st.message());
    case StatusCode::kUnavailable:
      return NativeError(503, "unavailable", st.message());
    case StatusCode::kResourceExhausted:
      return NativeError(503, "resource_exhausted", st.message());
    default:
      return NativeError(500, "internal", st.ToString());
  }
}

// 429 with Retry-After (whole seconds, at least 1): a quota exceeded, logins backing off.
inline Response TooManyRequests(bool native, std::string_view message, int64_t retry_after_ms) {
  Response r =
      native ? NativeError(429, "rate_limited", message) : Error(429, std::string(message));
  r.headers.emplace_back("Retry-After",
                         std::to_string(std::max<int64_t>(1, (retry_after_ms + 999) / 1000)));
  return r;
}

// `reply`, but a response is first reported by `report` (to the audit log) and sent only when
// report's `done` says the entry is durable; one that cannot be recorded is answered 503 instead,
// so nothing is answered that the audit log does not hold.
using ReportFn = std::function<void(const Response& r, RequestEvents::Done done)>;
inline Reply AfterReport(ReportFn report, Reply reply) {
  return [report = std::move(report), reply = std::move(reply)](Response r) {
    auto held = std::make_shared<Response>(std::move(r));
    report(*held, [reply, held](const Status& st) {
      if (!st.ok()) {
        Response failed = Error(503, "audit log unavailable: " + st.message());
        failed.headers.emplace_back("Retry-After", "1");
        return reply(std::move(failed));
      }
      reply(std::move(*held));
    });
  };
}

inline double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace verbund::http
