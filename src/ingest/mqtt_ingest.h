// The ingest tap on the router: every accepted PUBLISH is decoded into points and handed to the
// pipeline. QoS 1/2: the publisher's acknowledgement waits until the points are durable. QoS 0:
// dropped (and counted) when storage is behind.
//
// Thread-safety: OnPublish is called concurrently from every I/O thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "ingest/payload_decoder.h"
#include "ingest/pipeline.h"
#include "ingest/series_cache.h"
#include "ingest/topic_template.h"
#include "mqtt/router.h"

namespace verbund::ingest {

struct MqttIngestMetrics {
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> points{0};
  std::atomic<uint64_t> undecodable{0};    // payload not valid for its rule's format
  std::atomic<uint64_t> skipped_arrays{0};
  std::atomic<uint64_t> ignored{0};        // matched an `ignore` rule
  std::atomic<uint64_t> rejected_fields{0}; // type differs from the series' type
  std::atomic<uint64_t> refused{0};         // readings refused by admission or the series quota
};

class MqttIngest final : public mqtt::Tap {
 public:
  // InvalidArgument for a bad rule (names the rule).
  // `series` (ids) and `pipeline` (writes) are not owned and must outlive the tap.
  static Result<std::unique_ptr<MqttIngest>> Create(const IngestConfig& config,
                                                    SeriesIdCache* series, Pipeline* pipeline,
                                                    const Clock* clock);

  void OnPublish(const mqtt::MessagePtr& message, std::function<void(Status)> done) override;
  // Topics start with their tenant's mount (`acme/...`, see mqtt::Principal): readings go to
  // the database named after the tenant, and rules match the rest of the topic. Off: every
  // reading goes to `config.tenant`. Set before the first publish.
  void set_tenant_namespaces(bool on) { tenant_namespaces_ = on; }
  // Asked before a reading of `database` is stored (the hub: its tenant's stored-bytes quota).
  // A refusal answers the message (MQTT 5: 0x97 for ResourceExhausted) and nothing of it is
  // stored. Set before the first publish.
  void set_admission(std::function<Status(std::string_view database)> admit) {
    admit_ = std::move(admit);
  }
  const MqttIngestMetrics& metrics() const { return metrics_; }

 private:
  struct Rule {
    IngestRule config;
    std::optional<TopicTemplate> topic_template;
  };
  MqttIngest(IngestConfig config, SeriesIdCache* series, Pipeline* pipeline, const Clock* clock)
      : config_(std::move(config)), series_(series), pipeline_(pipeline), clock_(clock) {}
  const Rule* RuleFor(std::string_view topic) const;
  storage::SeriesKey SeriesKeyFor(const Rule* rule, std::string_view database,
                                  std::string_view topic) const;

  IngestConfig config_;
  std::vector<Rule> rules_;
  SeriesIdCache* series_;
  Pipeline* pipeline_;
  const Clock* clock_;
  MqttIngestMetrics metrics_;
  bool tenant_namespaces_ = false;
  std::function<Status(std::string_view database)> admit_;
};

}  // namespace verbund::ingest
