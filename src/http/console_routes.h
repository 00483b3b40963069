// The native API's routes for the web console's live views (doc/api.md): the live figures
// (GET /api/v1/console/stats), live topics (GET /api/v1/console/topics?filter=) and publishing a
// message (POST /api/v1/publish). Internal to verbund_http.
#pragma once

#include <string_view>

#include "http/api.h"
#include "http/live_stats.h"
#include "http/topic_bridge.h"
#include "http/url.h"

namespace verbund::http {

// GET|HEAD /api/v1/console/stats.
Response ConsoleStats(LiveStats& stats, const Caller& caller, std::string_view method);
// GET|HEAD /api/v1/console/topics; `bridge` null: 404.
Response WatchTopics(TopicBridge* bridge, const Caller& caller, std::string_view method,
                     const Params& params);
// POST /api/v1/publish; `bridge` null: 404.
void PublishMessage(TopicBridge* bridge, const Caller& caller, const Request& request,
                    const Reply& reply);

}  // namespace verbund::http
