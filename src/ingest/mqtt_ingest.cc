#include "ingest/mqtt_ingest.h"

#include "core/logging.h"
#include "mqtt/topic.h"

namespace verbund::ingest {

Result<std::unique_ptr<MqttIngest>> MqttIngest::Create(const IngestConfig& config,
                                                       Pipeline* pipeline, const Clock* clock) {
  std::unique_ptr<MqttIngest> t(new MqttIngest(config, pipeline, clock ? clock : SystemClock::Default()));
  for (size_t i = 0; i < config.rules.size(); ++i) {
    Rule r{config.rules[i], std::nullopt};
    if (!r.config.topic_template.empty()) {
      auto tt = TopicTemplate::Parse(r.config.topic_template);
      if (!tt.ok()) return tt.status().Annotate("ingest.rule[" + std::to_string(i) + "].template");
      r.topic_template = std::move(*tt);
    }
    t->rules_.push_back(std::move(r));
  }
  return t;
}

const MqttIngest::Rule* MqttIngest::RuleFor(std::string_view topic) const {
  for (const Rule& r : rules_) {
    if (mqtt::TopicMatches(r.config.filter, topic)) return &r;
  }
  return nullptr;
}

void MqttIngest::OnPublish(const mqtt::MessagePtr& message, std::function<void(Status)> done) {
  const mqtt::Message& m = *message;
  metrics_.messages.fetch_add(1, std::memory_order_relaxed);
  // The hub's own topics carry no readings.
  if (!m.topic.empty() && m.topic[0] == '$') {
    if (done) done(Status::OK());
    return;
  }
  const Rule* rule = RuleFor(m.topic);
  PayloadFormat format = rule ? rule->config.format : PayloadFormat::kJson;
  if (format == PayloadFormat::kIgnore || m.payload.empty()) {
    metrics_.ignored.fetch_add(1, std::memory_order_relaxed);
    if (done) done(Status::OK());
    return;
  }
  static thread_local PayloadDecoder decoder;
  auto decoded = decoder.Decode(m.payload, format, rule ? rule->config.time_field : "",
                                rule ? rule->config.time_unit : "rfc3339");
  if (!decoded.ok() || decoded->fields.empty()) {
    // Not a reading: the message was still delivered to subscribers; nothing to store.
    metrics_.undecodable.fetch_add(1, std::memory_order_relaxed);
    if (done) done(Status::OK());
    return;
  }
  metrics_.skipped_arrays.fetch_add(decoded->skipped_arrays, std::memory_order_relaxed);
  storage::SeriesKey base;
  base.tenant = config_.tenant;
  std::optional<TopicTemplate::Mapping> mapping;
  if (rule && rule->topic_template) mapping = rule->topic_template->Apply(m.topic, rule->config.measurement);
  if (mapping) {
    base.measurement = std::move(mapping->measurement);
    base.tags = std::move(mapping->tags);
  } else {
    base.measurement = rule && !rule->config.measurement.empty() ? rule->config.measurement : m.topic;
  }
  TimestampNs ts = decoded->timestamp.value_or(clock_->NowNs());
  storage::WriteBatch batch;
  batch.Reserve(decoded->fields.size());
  for (auto& [field, value] : decoded->fields) {
    storage::SeriesKey key = base;
    key.field = std::move(field);
    batch.Add(std::move(key), ts, std::move(value));
  }
  metrics_.points.fetch_add(batch.size(), std::memory_order_relaxed);
  if (done) {
    pipeline_->Submit(std::move(batch), std::move(done));
  } else {
    pipeline_->TrySubmit(std::move(batch));
  }
}

}  // namespace verbund::ingest
