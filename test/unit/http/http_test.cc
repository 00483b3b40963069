// Unit tests of the HTTP layer without sockets: URL and form decoding, gzip, metrics text, point
// mapping, database registry, and the Api routes over an in-memory engine. Plus one socket test
// of the Beast server (keep-alive, pipelining, 413, gzip, chunked) on loopback.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "core/metrics.h"
#include "http/api.h"
#include "http/databases.h"
#include "http/gzip.h"
#include "http/memory_engine.h"
#include "http/point_mapping.h"
#include "http/server.h"
#include "http/url.h"
#include "ingest/line_protocol.h"
#include "ingest/pipeline.h"
#include "ingest/series_cache.h"
#include "net/io_pool.h"
#include "query/executor.h"

namespace verbund::http {
namespace {

using testing::MemoryEngine;

TEST(UrlTest, PercentDecodeAndPlus) {
  EXPECT_EQ(*PercentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(*PercentDecode("%41%6a", false), "Aj");
  EXPECT_FALSE(PercentDecode("%4", true).ok());
  EXPECT_FALSE(PercentDecode("%zz", true).ok());
  EXPECT_FALSE(PercentDecode("abc%", true).ok());
}

TEST(UrlTest, QueryStringRepeatsAndEmptyPieces) {
  Result<Params> p = ParseQueryString("db=x&&q=SELECT+*+FROM+%22m%22&db=y&flag");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Get("db"), "x");
  EXPECT_EQ(p->Get("q"), "SELECT * FROM \"m\"");
  EXPECT_TRUE(p->Has("flag"));
  EXPECT_EQ(p->Get("flag"), "");
  EXPECT_FALSE(p->Has("nope"));
  EXPECT_EQ(p->items().size(), 4u);
}

TEST(UrlTest, TargetSplitsPathAndQuery) {
  Result<Target> t = ParseTarget("/api/v1/read?db=a&tag.host=s%2F1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/api/v1/read");
  EXPECT_EQ(t->params.Get("tag.host"), "s/1");
  EXPECT_EQ(ParseTarget("/ping")->path, "/ping");
}

TEST(UrlTest, FormBodyWinsOverUrl) {
  Params url = *ParseQueryString("q=url&db=d");
  url.PrependAll(*ParseQueryString("q=form"));
  EXPECT_EQ(url.Get("q"), "form");
  EXPECT_EQ(url.Get("db"), "d");
}

TEST(RouteTest, Names) {
  EXPECT_EQ(RouteOf("/write"), Route::kWrite);
  EXPECT_EQ(RouteOf("/query/"), Route::kQuery);
  EXPECT_EQ(RouteOf("/api/v1/latest"), Route::kApiLatest);
  EXPECT_EQ(RouteOf("/nothing"), Route::kOther);
}

TEST(GzipTest, RoundTrip) {
  std::string text(100000, 'x');
  Result<std::string> z = Gzip(text);
  ASSERT_TRUE(z.ok());
  EXPECT_LT(z->size(), text.size() / 10);
  Result<std::string> back = GunzipBounded(*z, text.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, text);
}

TEST(GzipTest, BombIsResourceExhausted) {
  std::string text(10 << 20, '\0');
  std::string z = *Gzip(text);
  Result<std::string> r = GunzipBounded(z, 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(GzipTest, GarbageAndTruncationAreMalformed) {
  EXPECT_EQ(GunzipBounded("not gzip at all", 1000).status().code(), StatusCode::kMalformed);
  std::string z = *Gzip("cpu value=1\n");
  EXPECT_EQ(GunzipBounded(z.substr(0, z.size() / 2), 1000).status().code(),
            StatusCode::kMalformed);
}

TEST(GzipTest, ConcatenatedMembers) {
  std::string z = *Gzip("a ") + *Gzip("b");
  EXPECT_EQ(*GunzipBounded(z, 100), "a b");
}

TEST(MetricsTest, CounterGaugeHistogram) {
  metrics::Counter c;
  c.Inc();
  c.Inc(4);
  EXPECT_EQ(c.value(), 5u);
  metrics::Gauge g;
  g.Add(3);
  g.Add(-1);
  EXPECT_EQ(g.value(), 2);
  metrics::Histogram h({1, 5});
  h.Observe(0.5);
  h.Observe(1);
  h.Observe(3);
  h.Observe(100);
  auto s = h.Take();
  ASSERT_EQ(s.cumulative.size(), 3u);
  EXPECT_EQ(s.cumulative[0], 2u);  // le=1 includes the bound
  EXPECT_EQ(s.cumulative[1], 3u);
  EXPECT_EQ(s.cumulative[2], 4u);
  EXPECT_EQ(s.count, 4u);
  EXPECT_DOUBLE_EQ(s.sum, 104.5);
}

TEST(MetricsTest, PrometheusTextFormat) {
  metrics::PrometheusText p;
  p.Family("x_total", "counter", "Help with \\ and\nnewline.");
  p.Sample("x_total", {{"route", "a\"b\\c\nd"}}, 3);
  p.Sample("x_total", 0.25);
  metrics::Histogram h({0.1, 1});
  h.Observe(0.05);
  p.Family("lat_seconds", "histogram", "Latency.");
  p.HistogramSamples("lat_seconds", {{"op", "q"}}, h.Take());
  EXPECT_EQ(p.text(),
            "# HELP x_total Help with \\\\ and\\nnewline.\n"
            "# TYPE x_total counter\n"
            "x_total{route=\"a\\\"b\\\\c\\nd\"} 3\n"
            "x_total 0.25\n"
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{op=\"q\",le=\"0.1\"} 1\n"
            "lat_seconds_bucket{op=\"q\",le=\"1\"} 1\n"
            "lat_seconds_bucket{op=\"q\",le=\"+Inf\"} 1\n"
            "lat_seconds_sum{op=\"q\"} 0.05\n"
            "lat_seconds_count{op=\"q\"} 1\n");
  EXPECT_EQ(metrics::PrometheusText::FormatValue(1.0 / 0.0), "+Inf");
}

TEST(MetricsTest, CountersAreExactUnderContention) {
  metrics::Counter c;
  metrics::Histogram h({1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Inc();
        h.Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  auto s = h.Take();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 20000.0);
}

TEST(ChunkStreamTest, ProducerWaitsForConsumer) {
  ChunkStream stream(10);
  std::atomic<int> notified{0};
  stream.SetNotify([&] { notified.fetch_add(1); });
  bool finished = true;
  EXPECT_TRUE(stream.Take(&finished).empty());  // arms the notification
  EXPECT_FALSE(finished);
  EXPECT_TRUE(stream.Push("0123456789ab"));     // over the bound: the next Push must wait
  EXPECT_EQ(notified.load(), 1);
  std::thread producer([&] { EXPECT_TRUE(stream.Push("x")); });
  std::vector<std::string> got;
  while (got.size() < 2) {
    for (auto& c : stream.Take(&finished)) got.push_back(std::move(c));
  }
  producer.join();
  EXPECT_EQ(got[0], "0123456789ab");
  EXPECT_EQ(got[1], "x");
}

TEST(ChunkStreamTest, CloseReleasesAWaitingProducer) {
  ChunkStream stream(10);
  EXPECT_TRUE(stream.Push("0123456789ab"));
  std::thread producer([&] { EXPECT_FALSE(stream.Push("x")); });
  stream.Close();
  producer.join();
  EXPECT_FALSE(stream.Push("y"));
}

TEST(ChunkStreamTest, FinishIsSeenAfterTheLastChunk) {
  ChunkStream stream;
  stream.SetNotify([] {});
  EXPECT_TRUE(stream.Push("a"));
  stream.Finish();
  bool finished = false;
  EXPECT_EQ(stream.Take(&finished).size(), 1u);
  EXPECT_FALSE(finished);
  EXPECT_TRUE(stream.Take(&finished).empty());
  EXPECT_TRUE(finished);
}

TEST(PointMappingTest, EveryTypeOneSeriesPerField) {
  ingest::ParseOptions o;
  ingest::ParsedBatch b = ingest::ParseLineProtocol(
      "m,b=2,a=1 f=1.5,i=-3i,u=7u,t=true,s=\"hi\" 100\n", o);
  ASSERT_TRUE(b.errors().empty());
  MappedWrite w = MapPoints(b, "db1", nullptr);
  EXPECT_EQ(w.points, 1u);
  ASSERT_EQ(w.batch.size(), 5u);
  const auto& e = w.batch.entries();
  const storage::SeriesKey& key = w.batch.KeyOf(e[0]);
  EXPECT_EQ(key.tenant, "db1");
  EXPECT_EQ(key.measurement, "m");
  ASSERT_EQ(key.tags.size(), 2u);
  EXPECT_EQ(key.tags[0].first, "a");
  EXPECT_EQ(key.field, "f");
  EXPECT_EQ(w.batch.KeyOf(e[4]).field, "s");
  EXPECT_EQ(std::get<double>(e[0].value), 1.5);
  EXPECT_EQ(std::get<int64_t>(e[1].value), -3);
  EXPECT_EQ(std::get<int64_t>(e[2].value), 7);
  EXPECT_EQ(std::get<bool>(e[3].value), true);
  EXPECT_EQ(std::get<std::string>(e[4].value), "hi");
  EXPECT_EQ(e[4].ts, 100);
}

// The per-request memo (by the series text as written) must give every tag set, field and type
// its own id, also when one tag set is written in two tag orders or escapings.
TEST(PointMappingTest, MemoisedIdsMatchTheEnginesSeries) {
  testing::MemoryEngine engine;
  ingest::SeriesIdCache cache(&engine);
  ingest::ParseOptions o;
  ingest::ParsedBatch b = ingest::ParseLineProtocol(
      "m,a=1,b=2 f=1,g=2i 1\n"
      "m,b=2,a=1 f=3 2\n"  // same tag set, other order
      "m,a=1,b=3 f=4 3\n"  // other tag set
      "m,a=1,b=2 f=5,g=6i 4\n"
      "m\\ x,a=1,b=2 f=7 5\n"  // other measurement (unescapes to "m x")
      "n,a=1,b=2 f=8 6\n",
      o);
  ASSERT_TRUE(b.errors().empty());
  MappedWrite w = MapPoints(b, "db", &engine, &cache);
  ASSERT_EQ(w.points, 6u);
  ASSERT_EQ(w.batch.size(), 8u);
  const auto& e = w.batch.entries();
  auto id = [&](std::string m, std::string bv, std::string f, storage::ValueType t) {
    storage::SeriesKey k{"db", m, {{"a", "1"}, {"b", bv}}, f};
    return engine.GetOrCreateSeries(k, t).value();
  };
  const auto kF = storage::ValueType::kFloat;
  EXPECT_EQ(e[0].id, id("m", "2", "f", kF));
  EXPECT_EQ(e[1].id, id("m", "2", "g", storage::ValueType::kInt));
  EXPECT_EQ(e[2].id, e[0].id);
  EXPECT_EQ(e[3].id, id("m", "3", "f", kF));
  EXPECT_EQ(e[4].id, e[0].id);
  EXPECT_EQ(e[5].id, e[1].id);
  EXPECT_EQ(e[6].id, id("m x", "2", "f", kF));
  EXPECT_EQ(e[7].id, id("n", "2", "f", kF));
  EXPECT_NE(e[6].id, e[0].id);
  EXPECT_NE(e[7].id, e[0].id);
}

TEST(PointMappingTest, NewSeriesOfABodyAreCreatedInOneEngineCall) {
  MemoryEngine engine;
  ingest::SeriesIdCache cache(&engine);
  ingest::ParseOptions o;
  std::string body;
  for (int i = 0; i < 200; ++i) {
    body += "m,host=h" + std::to_string(i % 50) + " f=1,g=" + std::to_string(i) + "i " +
            std::to_string(i) + "\n";
  }
  ingest::ParsedBatch b = ingest::ParseLineProtocol(body, o);
  MappedWrite w = MapPoints(b, "db", &engine, &cache);
  EXPECT_EQ(w.points, 200u);
  ASSERT_EQ(w.batch.size(), 400u);
  EXPECT_EQ(engine.many_calls(), 1u);
  EXPECT_EQ(engine.FindSeries("db", "m").size(), 100u);
  const auto& e = w.batch.entries();
  for (int i = 0; i < 200; ++i) {
    storage::SeriesKey f{"db", "m", {{"host", "h" + std::to_string(i % 50)}}, "f"};
    storage::SeriesKey g = f;
    g.field = "g";
    EXPECT_EQ(e[2 * i].id, engine.GetOrCreateSeries(f, storage::ValueType::kFloat).value());
    EXPECT_EQ(e[2 * i + 1].id, engine.GetOrCreateSeries(g, storage::ValueType::kInt).value());
  }
  // Known series: the shared cache answers, the engine is not asked again.
  ingest::ParsedBatch again = ingest::ParseLineProtocol(body, o);
  EXPECT_EQ(MapPoints(again, "db", &engine, &cache).batch.size(), 400u);
  EXPECT_EQ(engine.many_calls(), 1u);
}

TEST(PointMappingTest, TypeConflictBetweenNewPointsOfOneBody) {
  MemoryEngine engine;
  ingest::SeriesIdCache cache(&engine);
  ingest::ParseOptions o;
  ingest::ParsedBatch b = ingest::ParseLineProtocol("new v=1 1\nnew v=2i 2\nnew v=3 3\n", o);
  MappedWrite w = MapPoints(b, "db", &engine, &cache);
  EXPECT_EQ(w.points, 2u);
  EXPECT_EQ(w.rejected, 1u);
  ASSERT_EQ(w.errors.size(), 1u);
  EXPECT_EQ(w.errors[0],
            "field type conflict: input field \"v\" on measurement \"new\" is type integer, "
            "already exists as type float");
  EXPECT_EQ(w.batch.size(), 2u);
}

TEST(PointMappingTest, UnsignedOutOfRangeRejectsThePoint) {
  ingest::ParseOptions o;
  ingest::ParsedBatch b =
      ingest::ParseLineProtocol("m u=18446744073709551615u 1\nm u=5u 2\n", o);
  ASSERT_EQ(b.points().size(), 2u);
  MappedWrite w = MapPoints(b, "db", nullptr);
  EXPECT_EQ(w.points, 1u);
  EXPECT_EQ(w.rejected, 1u);
  ASSERT_EQ(w.errors.size(), 1u);
  EXPECT_NE(w.errors[0].find("out of range"), std::string::npos);
}

TEST(PointMappingTest, TypeConflictRejectsOnlyThatPoint) {
  MemoryEngine engine;
  ingest::ParseOptions o;
  ingest::ParsedBatch first = ingest::ParseLineProtocol("cpu value=1 1\n", o);
  ASSERT_TRUE(engine.Write(MapPoints(first, "db", &engine).batch).ok());
  ingest::ParsedBatch b = ingest::ParseLineProtocol("cpu value=2i 2\ncpu value=3 3\n", o);
  MappedWrite w = MapPoints(b, "db", &engine);
  EXPECT_EQ(w.points, 1u);
  EXPECT_EQ(w.rejected, 1u);
  EXPECT_EQ(w.errors[0],
            "field type conflict: input field \"value\" on measurement \"cpu\" is type integer, "
            "already exists as type float");
  EXPECT_TRUE(engine.Write(w.batch).ok());
}

TEST(DatabaseRegistryTest, CreatedNamesSurviveReopen) {
  auto dir = std::filesystem::temp_directory_path() / ("http_dbreg_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  MemoryEngine engine;
  {
    auto reg = DatabaseRegistry::Open((dir / "databases").string(), &engine);
    ASSERT_TRUE(reg.ok());
    EXPECT_FALSE((*reg)->Exists("telegraf"));
    ASSERT_TRUE((*reg)->Create("telegraf").ok());
    ASSERT_TRUE((*reg)->Create("telegraf").ok());
    EXPECT_FALSE((*reg)->Create("").ok());
    EXPECT_FALSE((*reg)->Create("a\nb").ok());
  }
  ASSERT_TRUE(engine.Write([] {
    storage::WriteBatch b;
    b.Add(storage::SeriesKey{"fromengine", "m", {}, "f"}, 1, 1.0);
    return b;
  }()).ok());
  auto reg = DatabaseRegistry::Open((dir / "databases").string(), &engine);
  ASSERT_TRUE(reg.ok());
  EXPECT_TRUE((*reg)->Exists("telegraf"));
  EXPECT_TRUE((*reg)->Exists("fromengine"));
  EXPECT_EQ((*reg)->List(), (std::vector<std::string>{"fromengine", "telegraf"}));
  std::filesystem::remove_all(dir);
}

TEST(TimeParamTest, Rfc3339AndNanoseconds) {
  EXPECT_EQ(*ParseTimeParam("1700000000000000000"), 1700000000000000000);
  EXPECT_EQ(*ParseTimeParam("1970-01-01T00:00:01Z"), 1000000000);
  EXPECT_EQ(*ParseTimeParam("2023-11-14T22:13:20.5Z"), 1700000000500000000);
  EXPECT_EQ(*ParseTimeParam("2023-11-15T00:13:20+02:00"), 1700000000000000000);
  EXPECT_FALSE(ParseTimeParam("yesterday").ok());
  EXPECT_FALSE(ParseTimeParam("2023-13-01T00:00:00Z").ok());
}

TEST(PrettyJsonTest, GoIndent) {
  EXPECT_EQ(PrettyJson("{\"a\":[1,2],\"b\":{},\"c\":\"x,{y}\"}"),
            "{\n    \"a\": [\n        1,\n        2\n    ],\n    \"b\": {},\n    \"c\": \"x,{y}\"\n}");
}

// The Api over an in-memory engine, a real Pipeline and Executor, handlers run inline.
class ApiTest : public ::testing::Test {
 protected:
  ApiTest()
      : pipeline_(&engine_, ingest::PipelineOptions{}),
        executor_(&engine_, ExecOptions(this)) {
    dir_ = std::filesystem::temp_directory_path() / ("http_api_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    registry_ = std::move(DatabaseRegistry::Open((dir_ / "databases").string(), &engine_).value());
    api_ = std::make_unique<Api>(Deps(), 1 << 20, [](std::function<void()> fn) { fn(); });
  }
  ~ApiTest() override { std::filesystem::remove_all(dir_); }

  // The fixture's engine, pipeline, executor, registry and clock.
  ServerDeps Deps() {
    ServerDeps deps;
    deps.engine = &engine_;
    deps.pipeline = &pipeline_;
    deps.executor = &executor_;
    deps.list_databases = registry_->ListFn();
    deps.create_database = registry_->CreateFn();
    deps.database_exists = registry_->ExistsFn();
    deps.clock = &clock_;
    return deps;
  }

  static query::ExecutorOptions ExecOptions(ApiTest* t) {
    query::ExecutorOptions o;
    o.clock = &t->clock_;
    o.list_databases = [t] { return t->registry_->List(); };
    o.create_database = [t](std::string_view n) { return t->registry_->Create(n); };
    return o;
  }

  Response Call(std::string method, std::string target, std::string body = "",
                std::string content_type = "", std::string encoding = "") {
    return CallOn(*api_, std::move(method), std::move(target), std::move(body),
                  std::move(content_type), std::move(encoding));
  }
  static Response CallOn(Api& api, std::string method, std::string target, std::string body = "",
                         std::string content_type = "", std::string encoding = "") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    r.content_encoding = std::move(encoding);
    std::promise<Response> p;
    auto f = p.get_future();
    api.Handle(std::move(r), [&p](Response resp) { p.set_value(std::move(resp)); });
    Response resp = f.get();
    if (resp.stream) {
      bool finished = false;
      while (!finished) {
        for (auto& s : resp.stream->Take(&finished)) resp.body += s;
      }
    }
    return resp;
  }

  FakeClock clock_;
  MemoryEngine engine_;
  ingest::Pipeline pipeline_;
  std::unique_ptr<DatabaseRegistry> registry_;
  query::Executor executor_;
  std::filesystem::path dir_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, PingAndHealth) {
  EXPECT_EQ(Call("GET", "/ping").status, 204u);
  EXPECT_EQ(Call("HEAD", "/ping").status, 204u);
  Response v = Call("GET", "/ping?verbose=true");
  EXPECT_EQ(v.status, 200u);
  EXPECT_EQ(v.body, "{\"version\":\"1.8.10\"}");
  Response h = Call("GET", "/health");
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(h.content_type, "application/json");
  EXPECT_NE(h.body.find("\"status\":\"pass\""), std::string::npos);
}

TEST_F(ApiTest, UnknownRouteAndMethod) {
  EXPECT_EQ(Call("GET", "/nope").status, 404u);
  Response r = Call("GET", "/write?db=x");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(Call("DELETE", "/query?q=x").status, 405u);
  EXPECT_EQ(Call("GET", "/query?q=%zz").status, 400u);
}

TEST_F(ApiTest, WriteNeedsExistingDatabase) {
  Response r = Call("POST", "/write", "m v=1");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body, "{\"error\":\"database is required\"}");
  r = Call("POST", "/write?db=x", "m v=1");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, "{\"error\":\"database not found: \\\"x\\\"\"}");
}

TEST_F(ApiTest, CreateDatabaseThenWriteAndQuery) {
  Response c = Call("POST", "/query", "q=CREATE+DATABASE+mydb", "application/x-www-form-urlencoded");
  EXPECT_EQ(c.status, 200u);
  EXPECT_EQ(c.body, "{\"results\":[{\"statement_id\":0}]}\n");
  Response w = Call("POST", "/write?db=mydb&precision=s", "cpu,host=a value=1.5 10\ncpu,host=a value=2.5 20\n");
  EXPECT_EQ(w.status, 204u) << w.body;
  Response q = Call("GET", "/query?db=mydb&q=SELECT+value+FROM+cpu&epoch=s");
  EXPECT_EQ(q.status, 200u);
  EXPECT_EQ(q.body,
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
            "\"value\"],\"values\":[[10,1.5],[20,2.5]]}]}]}\n");
  Response chunked = Call("GET", "/query?db=mydb&q=SELECT+value+FROM+cpu&epoch=s&chunked=true&chunk_size=1");
  EXPECT_EQ(chunked.status, 200u);
  EXPECT_EQ(std::count(chunked.body.begin(), chunked.body.end(), '\n'), 2);
  Response bad = Call("GET", "/query?db=mydb&q=SELEC");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("error parsing query"), std::string::npos);
  Response badc = Call("GET", "/query?db=mydb&q=SELEC&chunked=true");
  EXPECT_EQ(badc.status, 400u);
  EXPECT_EQ(Call("GET", "/query?db=mydb").status, 400u);
}

TEST_F(ApiTest, WriteParseErrorsAndPartialWrites) {
  ASSERT_TRUE(registry_->Create("db").ok());
  Response r = Call("POST", "/write?db=db", "bad line here\n");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("unable to parse"), std::string::npos);
  r = Call("POST", "/write?db=db", "good v=1 1\nbad\n");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("partial write"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("dropped=0"), std::string::npos) << r.body;
  pipeline_.Drain();
  EXPECT_EQ(engine_.FindSeries("db", "good").size(), 1u);
  r = Call("POST", "/write?db=db", "good v=1i 2\n");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("field type conflict"), std::string::npos) << r.body;
  EXPECT_EQ(Call("POST", "/write?db=db", "").status, 204u);
}

// A body parsed in pieces on several threads answers and stores exactly what the serial parse
// does: the same partial-write error (the first failing line), the same points.
TEST_F(ApiTest, LargeBodyParsedInPiecesAnswersLikeOneBody) {
  ASSERT_TRUE(registry_->Create("one").ok());
  ASSERT_TRUE(registry_->Create("four").ok());
  ingest::SeriesIdCache cache(&engine_);
  boost::asio::thread_pool pool(4);
  ServerDeps deps = Deps();
  deps.series_cache = &cache;
  Api parallel(
      std::move(deps), 8 << 20,
      [&pool](std::function<void()> fn) { boost::asio::post(pool, std::move(fn)); }, 4);
  for (const char* db : {"one", "four"}) {
    ASSERT_EQ(Call("POST", std::string("/write?db=") + db, "conf v=1 1\n").status, 204u);
  }
  std::string body;
  for (int i = 0; i < 12000; ++i) {
    if (i == 10 || i == 11900) body += "bad line " + std::to_string(i) + "\n";
    if (i == 6000) body += "conf v=1i 2\n";  // a type conflict in a later piece
    body += "m,host=h" + std::to_string(i % 37) + " v=" + std::to_string(i) +
            ".5,n=" + std::to_string(i) + "i " + std::to_string(1000 + i) + "\n";
  }
  ASSERT_GE(ingest::SplitLines(body, 4, 64 << 10).size(), 4u);
  Response serial = Call("POST", "/write?db=one", body);
  Response pieces = CallOn(parallel, "POST", "/write?db=four", body);
  EXPECT_EQ(serial.status, 400u);
  EXPECT_EQ(pieces.status, serial.status);
  EXPECT_EQ(pieces.body, serial.body);
  EXPECT_NE(serial.body.find("field type conflict"), std::string::npos) << serial.body;
  pipeline_.Drain();
  const std::string q = "&q=SELECT+*+FROM+m+GROUP+BY+*&epoch=ns";
  Response a = Call("GET", "/query?db=one" + q);
  Response b = Call("GET", "/query?db=four" + q);
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.body, b.body);
  size_t rows = 0;
  for (size_t i = 0; i + 1 < b.body.size(); ++i)
    rows += b.body[i] == '[' && std::isdigit(b.body[i + 1]);
  EXPECT_EQ(rows, 12000u);
  pool.join();
}

TEST_F(ApiTest, GzipBodiesAndBombs) {
  ASSERT_TRUE(registry_->Create("db").ok());
  Response r = Call("POST", "/write?db=db", *Gzip("z v=1 1\n"), "", "gzip");
  EXPECT_EQ(r.status, 204u) << r.body;
  r = Call("POST", "/write?db=db", *Gzip(std::string(2 << 20, '#')), "", "gzip");
  EXPECT_EQ(r.status, 413u);
  r = Call("POST", "/write?db=db", "nope", "", "gzip");
  EXPECT_EQ(r.status, 400u);
  r = Call("POST", "/write?db=db", "z v=1 1", "", "br");
  EXPECT_EQ(r.status, 415u);
}

TEST_F(ApiTest, NativeApi) {
  ASSERT_TRUE(registry_->Create("plant").ok());
  ASSERT_EQ(Call("POST", "/write?db=plant",
                 "temp,line=1,site=a celsius=20.5 1000\ntemp,line=1,site=a celsius=21.5 2000\n"
                 "temp,line=2,site=a celsius=30 1500\ntemp,line=2,site=a ok=true 1500\n")
                .status,
            204u);
  Response s = Call("GET", "/api/v1/series?db=plant&measurement=temp");
  EXPECT_EQ(s.status, 200u);
  EXPECT_EQ(s.body,
            "{\"series\":[{\"id\":1,\"measurement\":\"temp\",\"tags\":{\"line\":\"1\",\"site\":\"a\"},"
            "\"field\":\"celsius\",\"type\":\"float\"},{\"id\":2,\"measurement\":\"temp\",\"tags\":"
            "{\"line\":\"2\",\"site\":\"a\"},\"field\":\"celsius\",\"type\":\"float\"},{\"id\":3,"
            "\"measurement\":\"temp\",\"tags\":{\"line\":\"2\",\"site\":\"a\"},\"field\":\"ok\","
            "\"type\":\"boolean\"}]}\n");
  Response rd = Call("GET", "/api/v1/read?db=plant&series=1&order=desc&limit=1");
  EXPECT_EQ(rd.status, 200u);
  EXPECT_NE(rd.body.find("\"points\":[{\"t\":2000,\"time\":\"1970-01-01T00:00:00.000002Z\",\"value\":21.5}]"),
            std::string::npos)
      << rd.body;
  rd = Call("GET", "/api/v1/read?db=plant&measurement=temp&field=celsius&tag.line=2&from=0&to=1970-01-01T00:00:00Z");
  EXPECT_EQ(rd.status, 200u);
  EXPECT_NE(rd.body.find("\"points\":[]"), std::string::npos) << rd.body;
  Response l = Call("GET", "/api/v1/latest?db=plant&measurement=temp&field=celsius");
  EXPECT_EQ(l.status, 200u);
  EXPECT_NE(l.body.find("\"t\":2000"), std::string::npos);
  EXPECT_NE(l.body.find("\"t\":1500"), std::string::npos);
  // Errors.
  Response e = Call("GET", "/api/v1/read?db=plant&series=99");
  EXPECT_EQ(e.status, 404u);
  EXPECT_EQ(e.body.rfind("{\"error\":{\"code\":\"not_found\",\"message\":", 0), 0u) << e.body;
  EXPECT_EQ(Call("GET", "/api/v1/read?db=plant&measurement=temp").status, 400u);
  EXPECT_EQ(Call("GET", "/api/v1/read?db=plant&series=1&order=up").status, 400u);
  EXPECT_EQ(Call("GET", "/api/v1/read?db=plant&series=1&limit=0").status, 400u);
  EXPECT_EQ(Call("GET", "/api/v1/series").status, 400u);
  EXPECT_EQ(Call("GET", "/api/v1/series?db=none").status, 404u);
  EXPECT_EQ(Call("POST", "/api/v1/series?db=plant").status, 405u);
}

TEST_F(ApiTest, MetricsPageCountsRequests) {
  Call("GET", "/ping");
  Call("GET", "/nope");
  Response m = Call("GET", "/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("verbund_http_requests_total{route=\"ping\",code=\"204\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("verbund_http_requests_total{route=\"other\",code=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("# TYPE verbund_http_query_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(m.body.find("verbund_ingest_pending_points"), std::string::npos);
  EXPECT_NE(m.body.find("verbund_storage_disk_bytes"), std::string::npos);
}

// --- The Beast server on loopback.

class ServerTest : public ApiTest {
 protected:
  void StartServer(uint32_t max_body = 1 << 20) {
    pool_ = std::make_unique<net::IoPool>(2);
    pool_->Start();
    ServerDeps deps;
    deps.engine = &engine_;
    deps.pipeline = &pipeline_;
    deps.executor = &executor_;
    deps.list_databases = registry_->ListFn();
    deps.create_database = registry_->CreateFn();
    deps.database_exists = registry_->ExistsFn();
    deps.clock = &clock_;
    deps.worker_threads = 2;
    HttpConfig config;
    config.listen = "127.0.0.1:0";
    config.max_body_bytes = max_body;
    auto s = Server::Create(config, pool_.get(), nullptr, std::move(deps));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    if (pool_) pool_->Stop();
  }

  // Sends raw bytes and reads until the peer closes or `responses` complete responses arrived
  // (counted by "HTTP/1.1 " status lines; bodies here never contain that text).
  std::string Exchange(const std::string& raw, int responses) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket sock(io);
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    boost::asio::write(sock, boost::asio::buffer(raw));
    std::string out;
    char buf[4096];
    for (;;) {
      int seen = 0;
      for (size_t p = out.find("HTTP/1."); p != std::string::npos; p = out.find("HTTP/1.", p + 1)) ++seen;
      if (seen >= responses && out.find("HTTP/1.0") == std::string::npos && CompleteLast(out)) break;
      boost::system::error_code ec;
      size_t n = sock.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }
  static bool CompleteLast(const std::string& out) {
    size_t head = out.rfind("HTTP/1.1 ");
    size_t end = out.find("\r\n\r\n", head);
    if (end == std::string::npos) return false;
    std::string h = out.substr(head, end - head);
    size_t cl = h.find("Content-Length: ");
    if (cl != std::string::npos) {
      size_t n = std::stoul(h.substr(cl + 16));
      return out.size() >= end + 4 + n;
    }
    if (h.find("chunked") != std::string::npos) return out.find("\r\n0\r\n\r\n", end) != std::string::npos;
    return true;
  }

  std::unique_ptr<net::IoPool> pool_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, KeepAlivePipelinedRequestsAnsweredInOrder) {
  StartServer();
  ASSERT_TRUE(registry_->Create("db").ok());
  std::string body = "m v=1 1\n";
  std::string raw = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
                    "POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body +
                    "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string out = Exchange(raw, 3);
  size_t a = out.find("HTTP/1.1 204");
  size_t b = out.find("HTTP/1.1 204", a + 1);
  size_t c = out.find("HTTP/1.1 200");
  ASSERT_NE(a, std::string::npos) << out;
  ASSERT_NE(b, std::string::npos) << out;
  ASSERT_NE(c, std::string::npos) << out;
  EXPECT_LT(b, c);
  EXPECT_NE(out.find("X-Influxdb-Version: 1.8.10"), std::string::npos);
  EXPECT_NE(out.find("Request-Id: "), std::string::npos);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  StartServer(1000);
  std::string raw = "POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                    std::string(5000, 'a');
  std::string out = Exchange(raw, 1);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
}

TEST_F(ServerTest, ExpectContinueAndChunkedQuery) {
  StartServer();
  ASSERT_TRUE(registry_->Create("db").ok());
  std::string body;
  for (int i = 0; i < 50; ++i) body += "m v=" + std::to_string(i) + " " + std::to_string(i + 1) + "\n";
  std::string out = Exchange("POST /write?db=db HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
                             2);
  EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue", 0), 0u) << out;
  EXPECT_NE(out.find("HTTP/1.1 204"), std::string::npos) << out;
  out = Exchange("GET /query?db=db&q=SELECT+v+FROM+m&chunked=true&chunk_size=10 HTTP/1.1\r\n"
                 "Host: x\r\nConnection: close\r\n\r\n",
                 1);
  EXPECT_NE(out.find("Transfer-Encoding: chunked"), std::string::npos) << out;
  EXPECT_NE(out.find("\"partial\":true"), std::string::npos) << out;
}

TEST_F(ServerTest, Http10ChunkedQueryEndsWithClose) {
  StartServer();
  ASSERT_TRUE(registry_->Create("db").ok());
  ASSERT_EQ(Call("POST", "/write?db=db", "m v=1 1\nm v=2 2\nm v=3 3\n").status, 204u);
  std::string out = Exchange("GET /query?db=db&q=SELECT+v+FROM+m&chunked=true&chunk_size=1 HTTP/1.0\r\n\r\n", 1);
  EXPECT_EQ(out.rfind("HTTP/1.0 200", 0), 0u) << out;
  EXPECT_EQ(out.find("chunked"), std::string::npos) << out;
  EXPECT_NE(out.find("[[\"1970-01-01T00:00:00.000000003Z\",3]]"), std::string::npos) << out;
}

TEST_F(ServerTest, GarbageRequestGets400) {
  StartServer();
  std::string out = Exchange("NOT HTTP AT ALL\r\n\r\n", 1);
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
}

}  // namespace
}  // namespace verbund::http
