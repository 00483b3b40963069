// GET /metrics: the hub's figures in the Prometheus text format (doc/api.md lists them).
#include <string>

#include "http/api.h"
#include "ingest/pipeline.h"
#include "mqtt/broker.h"
#include "storage/engine.h"

namespace verbund::http {

std::string Api::RenderMetrics() {
  metrics::PrometheusText p;
  using L = metrics::Labels;
  // HTTP layer.
  p.Family("verbund_http_connections_active", "gauge", "Open HTTP connections.");
  p.Sample("verbund_http_connections_active",
           static_cast<double>(metrics_.connections_active.value()));
  p.Family("verbund_http_connections_total", "counter", "HTTP connections accepted.");
  p.Sample("verbund_http_connections_total",
           static_cast<double>(metrics_.connections_total.value()));
  p.Family("verbund_http_connections_rejected_total", "counter",
           "HTTP connections closed at once because the connection limit was reached.");
  p.Sample("verbund_http_connections_rejected_total",
           static_cast<double>(metrics_.connections_rejected.value()));
  p.Family("verbund_http_requests_total", "counter",
           "HTTP requests answered, by route and status code.");
  for (size_t r = 0; r < static_cast<size_t>(Route::kCount); ++r) {
    for (size_t s = 0; s < HttpMetrics::kStatuses.size(); ++s) {
      uint64_t v = metrics_.requests[r][s].value();
      if (v == 0) continue;
      unsigned code = HttpMetrics::kStatuses[s];
      p.Sample("verbund_http_requests_total",
               L{{"route", std::string(RouteName(static_cast<Route>(r)))},
                 {"code", code ? std::to_string(code) : "other"}},
               static_cast<double>(v));
    }
  }
  p.Family("verbund_http_query_duration_seconds", "histogram", "Time to answer /query requests.");
  p.HistogramSamples("verbund_http_query_duration_seconds", {}, metrics_.query_seconds.Take());
  p.Family("verbund_http_write_duration_seconds", "histogram",
           "Time from a /write request to its durable answer.");
  p.HistogramSamples("verbund_http_write_duration_seconds", {}, metrics_.write_seconds.Take());
  p.Family("verbund_http_points_written_total", "counter", "Points written through /write.");
  p.Sample("verbund_http_points_written_total",
           static_cast<double>(metrics_.points_written.value()));
  p.Family(
      "verbund_http_points_rejected_total", "counter",
      "Lines or points of /write bodies not written (parse errors, type conflicts, failures).");
  p.Sample("verbund_http_points_rejected_total",
           static_cast<double>(metrics_.points_rejected.value()));

  // MQTT broker.
  if (mqtt::BrokerMetrics* b = deps_.broker_metrics) {
    p.Family("verbund_mqtt_connections_active", "gauge", "Connected MQTT clients.");
    p.Sample("verbund_mqtt_connections_active", static_cast<double>(b->connections_active.load()));
    p.Family("verbund_mqtt_connections_total", "counter", "MQTT connections accepted.");
    p.Sample("verbund_mqtt_connections_total", static_cast<double>(b->connections_total.load()));
    p.Family("verbund_mqtt_messages_in_total", "counter", "PUBLISH packets received, by QoS.");
    for (int q = 0; q < 3; ++q) {
      p.Sample("verbund_mqtt_messages_in_total", L{{"qos", std::to_string(q)}},
               static_cast<double>(b->messages_in[q].load()));
    }
    p.Family("verbund_mqtt_messages_out_total", "counter", "PUBLISH packets sent, by QoS.");
    for (int q = 0; q < 3; ++q) {
      p.Sample("verbund_mqtt_messages_out_total", L{{"qos", std::to_string(q)}},
               static_cast<double>(b->messages_out[q].load()));
    }
    p.Family("verbund_mqtt_bytes_in_total", "counter", "Bytes received from MQTT clients.");
    p.Sample("verbund_mqtt_bytes_in_total", static_cast<double>(b->bytes_in.load()));
    p.Family("verbund_mqtt_bytes_out_total", "counter", "Bytes sent to MQTT clients.");
    p.Sample("verbund_mqtt_bytes_out_total", static_cast<double>(b->bytes_out.load()));
    p.Family("verbund_mqtt_messages_dropped_total", "counter", "Messages dropped, by reason.");
    p.Sample("verbund_mqtt_messages_dropped_total", L{{"reason", "queue_full"}},
             static_cast<double>(b->dropped_queue_full.load()));
    p.Sample("verbund_mqtt_messages_dropped_total", L{{"reason", "slow_client"}},
             static_cast<double>(b->dropped_slow_client.load()));
    p.Sample("verbund_mqtt_messages_dropped_total", L{{"reason", "too_large"}},
             static_cast<double>(b->dropped_too_large.load()));
    p.Sample("verbund_mqtt_messages_dropped_total", L{{"reason", "expired"}},
             static_cast<double>(b->dropped_expired.load()));
    p.Family("verbund_mqtt_protocol_errors_total", "counter", "MQTT protocol violations.");
    p.Sample("verbund_mqtt_protocol_errors_total", static_cast<double>(b->protocol_errors.load()));
    p.Family("verbund_mqtt_auth_failures_total", "counter", "Failed MQTT authentications.");
    p.Sample("verbund_mqtt_auth_failures_total", static_cast<double>(b->auth_failures.load()));
    p.Family("verbund_mqtt_quota_refusals_total", "counter",
             "MQTT PUBLISHes over a rate quota (refused with 0x97, dropped at QoS 0, or held).");
    p.Sample("verbund_mqtt_quota_refusals_total", static_cast<double>(b->quota_refusals.load()));
    p.Family("verbund_mqtt_publish_denied_total", "counter",
             "MQTT PUBLISHes refused as not authorized (audited: the first per topic and "
             "connection).");
    p.Sample("verbund_mqtt_publish_denied_total", static_cast<double>(b->publish_denied.load()));
  }

  // Ingest pipeline.
  if (deps_.pipeline) {
    const ingest::PipelineMetrics& m = deps_.pipeline->metrics();
    p.Family("verbund_ingest_points_written_total", "counter",
             "Points made durable by the write pipeline.");
    p.Sample("verbund_ingest_points_written_total", static_cast<double>(m.points_written.load()));
    p.Family("verbund_ingest_points_dropped_total", "counter",
             "QoS 0 points dropped because the pipeline was full.");
    p.Sample("verbund_ingest_points_dropped_total", static_cast<double>(m.points_dropped.load()));
    p.Family("verbund_ingest_points_rejected_total", "counter",
             "Points whose storage write failed (type conflict, locked tenant).");
    p.Sample("verbund_ingest_points_rejected_total", static_cast<double>(m.points_rejected.load()));
    p.Family("verbund_ingest_pending_points", "gauge", "Points queued in the write pipeline.");
    p.Sample("verbund_ingest_pending_points", static_cast<double>(m.pending_points.load()));
    p.Family("verbund_ingest_batches_total", "counter", "Batches written by the pipeline.");
    p.Sample("verbund_ingest_batches_total", static_cast<double>(m.batches.load()));
  }

  // Storage.
  if (deps_.engine) {
    storage::EngineStats st = deps_.engine->Stats();
    p.Family("verbund_storage_series", "gauge", "Series in the catalog.");
    p.Sample("verbund_storage_series", static_cast<double>(st.series));
    p.Family("verbund_storage_points_written_total", "counter", "Samples written to storage.");
    p.Sample("verbund_storage_points_written_total", static_cast<double>(st.points_written));
    p.Family("verbund_storage_head_bytes", "gauge", "Memory held by open chunks.");
    p.Sample("verbund_storage_head_bytes", static_cast<double>(st.head_bytes));
    p.Family("verbund_storage_disk_bytes", "gauge", "Bytes on disk: WAL, chunk store and catalog.");
    p.Sample("verbund_storage_disk_bytes", static_cast<double>(st.disk_bytes));
    p.Family("verbund_storage_wal_fsyncs_total", "counter", "WAL fsync calls.");
    p.Sample("verbund_storage_wal_fsyncs_total", static_cast<double>(st.wal_fsyncs));
    p.Family("verbund_storage_sealed_chunks", "gauge", "Sealed chunks in the chunk store.");
    p.Sample("verbund_storage_sealed_chunks", static_cast<double>(st.sealed_chunks));
    p.Family("verbund_storage_chunk_cache_bytes", "gauge", "Decoded chunks held for reads.");
    p.Sample("verbund_storage_chunk_cache_bytes", static_cast<double>(st.chunk_cache_bytes));
    p.Family("verbund_storage_chunk_cache_hits_total", "counter",
             "Chunk reads answered from the decoded-chunk cache.");
    p.Sample("verbund_storage_chunk_cache_hits_total", static_cast<double>(st.chunk_cache_hits));
    p.Family("verbund_storage_chunk_cache_misses_total", "counter",
             "Chunk reads that decrypted and decoded the chunk.");
    p.Sample("verbund_storage_chunk_cache_misses_total",
             static_cast<double>(st.chunk_cache_misses));
  }
  if (deps_.wal_fsync_seconds) {
    p.Family("verbund_wal_fsync_duration_seconds", "histogram", "WAL fsync latency.");
    p.HistogramSamples("verbund_wal_fsync_duration_seconds", {}, deps_.wal_fsync_seconds->Take());
  }
  return p.Take();
}
}  // namespace verbund::http
