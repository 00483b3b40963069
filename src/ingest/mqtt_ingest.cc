#include "ingest/mqtt_ingest.h"

#include "core/logging.h"
#include "mqtt/topic.h"

namespace verbund::ingest {

Result<std::unique_ptr<MqttIngest>> MqttIngest::Create(const IngestConfig& config,
                                                       SeriesIdCache* series, Pipeline* pipeline,
                                                       const Clock* clock) {
  std::unique_ptr<MqttIngest> t(
      new MqttIngest(config, series, pipeline, clock ? clock : SystemClock::Default()));
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

storage::SeriesKey MqttIngest::SeriesKeyFor(const Rule* rule, std::string_view database,
                                            std::string_view topic) const {
  storage::SeriesKey key;
  key.tenant = std::string(database);
  std::optional<TopicTemplate::Mapping> mapping;
  if (rule && rule->topic_template) mapping = rule->topic_template->Apply(topic, rule->config.measurement);
  if (mapping) {
    key.measurement = std::move(mapping->measurement);
    key.tags = std::move(mapping->tags);
  } else {
    key.measurement = rule && !rule->config.measurement.empty() ? rule->config.measurement
                                                                : std::string(topic);
  }
  return key;
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
  // With tenant namespaces the first level is the tenant (the broker's mount): its readings go
  // to the tenant's own database, and rules see the topic as the tenant's clients do.
  std::string_view database = config_.tenant;
  std::string_view topic = m.topic;
  if (tenant_namespaces_ && !topic.starts_with('$')) {
    size_t slash = topic.find('/');
    if (slash == std::string_view::npos || slash == 0) {
      metrics_.ignored.fetch_add(1, std::memory_order_relaxed);
      if (done) done(Status::OK());
      return;
    }
    database = topic.substr(0, slash);
    topic.remove_prefix(slash + 1);
  }
  // The hub's own topics ($SYS, and '$' topics in general) carry no readings.
  if (topic.starts_with('$')) {
    if (done) done(Status::OK());
    return;
  }
  const Rule* rule = RuleFor(topic);
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
  if (admit_) {
    Status admitted = admit_(database);
    if (!admitted.ok()) {
      metrics_.refused.fetch_add(1, std::memory_order_relaxed);
      if (done) done(std::move(admitted));
      return;
    }
  }
  TimestampNs ts = decoded->timestamp.value_or(clock_->NowNs());
  storage::WriteBatch batch;
  batch.Reserve(decoded->fields.size());
  // The series of a topic's field depends only on the topic (its rule is chosen by topic).
  std::string name;
  std::optional<storage::SeriesKey> base;
  Status refusal;  // the first field refused by the series quota
  for (auto& [field, value] : decoded->fields) {
    name.assign(m.topic);
    name.push_back('\0');
    name += field;
    // Init-capture: clang 14 cannot capture a structured binding itself.
    auto id = series_->Resolve(name, storage::TypeOf(value), [&, &field = field] {
      if (!base) base = SeriesKeyFor(rule, database, topic);
      storage::SeriesKey key = *base;
      key.field = field;
      return key;
    });
    if (!id.ok()) {
      if (id.status().code() == StatusCode::kResourceExhausted) {
        // A new series beyond the tenant's series quota: the message's answer says so.
        metrics_.refused.fetch_add(1, std::memory_order_relaxed);
        if (refusal.ok()) refusal = id.status();
        continue;
      }
      // A field whose type differs from its series' type: counted, the others are stored.
      metrics_.rejected_fields.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    batch.Add(*id, ts, std::move(value));
  }
  if (batch.empty()) {
    if (done) done(std::move(refusal));
    return;
  }
  metrics_.points.fetch_add(batch.size(), std::memory_order_relaxed);
  if (done) {
    if (!refusal.ok()) {
      // The admitted fields are stored first (a retry rewrites them, idempotently).
      done = [done = std::move(done), refusal](Status st) { done(st.ok() ? refusal : st); };
    }
    pipeline_->Submit(std::move(batch), std::move(done));
  } else {
    pipeline_->TrySubmit(std::move(batch));
  }
}

}  // namespace verbund::ingest
