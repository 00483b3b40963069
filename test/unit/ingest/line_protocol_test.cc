#include "ingest/line_protocol.h"

#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <string>

#include "parsed_batch_text.h"

namespace verbund::ingest {
namespace {

constexpr TimestampNs kNow = 1'700'000'000'123'456'789;

ParsedBatch Parse(std::string_view body, Precision p = Precision::kNanosecond) {
  ParseOptions o;
  o.now = kNow;
  o.precision = p;
  return ParseLineProtocol(body, o);
}

// Error text for a single bad line ("" when it parsed).
std::string ErrorOf(std::string_view line) {
  ParsedBatch b = Parse(line);
  return b.ErrorText();
}

std::string Reason(std::string_view line) {
  std::string e = ErrorOf(line);
  std::string prefix = "unable to parse '" + std::string(line) + "': ";
  if (e.rfind(prefix, 0) != 0) return "<" + e + ">";
  return e.substr(prefix.size());
}

TEST(LineProtocolTest, SimplePoint) {
  ParsedBatch b = Parse("cpu,host=a,region=eu value=1.5 1000");
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  ASSERT_EQ(b.points().size(), 1u);
  const Point& p = b.points()[0];
  EXPECT_EQ(p.measurement, "cpu");
  ASSERT_EQ(p.tags.size(), 2u);
  EXPECT_EQ(p.tags[0].key, "host");
  EXPECT_EQ(p.tags[0].value, "a");
  EXPECT_EQ(p.tags[1].key, "region");
  ASSERT_EQ(p.fields.size(), 1u);
  EXPECT_EQ(p.fields[0].key, "value");
  EXPECT_EQ(p.fields[0].type, FieldType::kFloat);
  EXPECT_DOUBLE_EQ(p.fields[0].f, 1.5);
  EXPECT_EQ(p.ts, 1000);
  EXPECT_EQ(p.line, 1u);
}

TEST(LineProtocolTest, SeriesTextIsMeasurementAndTagsAsWritten) {
  ParsedBatch b = Parse("cpu,z=1,a\\ b=x\\,y v=1 5\nmem  v=2 6\n");
  ASSERT_EQ(b.points().size(), 2u);
  EXPECT_EQ(b.points()[0].series, "cpu,z=1,a\\ b=x\\,y");
  EXPECT_EQ(b.points()[0].tags[0].key, "a b");  // tags themselves are unescaped and sorted
  EXPECT_EQ(b.points()[1].series, "mem");
}

TEST(LineProtocolTest, PlainAndEscapedLinesAlternate) {
  ParsedBatch b = Parse("a,t=x v=1 1\nb\\ c,t=y\\ z v=2 2\nd,t=w s=\"q\" 3\ne,t=u v=4 4\n");
  ASSERT_EQ(b.points().size(), 4u);
  EXPECT_EQ(b.points()[0].measurement, "a");
  EXPECT_EQ(b.points()[1].measurement, "b c");
  EXPECT_EQ(b.points()[1].tags[0].value, "y z");
  EXPECT_EQ(b.points()[2].fields[0].s, "q");
  EXPECT_EQ(b.points()[3].measurement, "e");
  EXPECT_EQ(b.points()[3].tags[0].value, "u");
}

TEST(LineProtocolTest, TagsAreSorted) {
  ParsedBatch b = Parse("m,z=1,b=2,a=3 f=1");
  ASSERT_EQ(b.points().size(), 1u);
  auto tags = b.points()[0].tags;
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0].key, "a");
  EXPECT_EQ(tags[1].key, "b");
  EXPECT_EQ(tags[2].key, "z");
}

TEST(LineProtocolTest, FieldTypes) {
  ParsedBatch b = Parse(
      "m a=1,b=-2i,c=3u,d=t,e=FALSE,f=\"str\",g=-.5e3,h=1E5,i=1.,j=True,k=F,l=9223372036854775807i,"
      "n=-9223372036854775808i,o=18446744073709551615u");
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  auto f = b.points()[0].fields;
  ASSERT_EQ(f.size(), 14u);
  EXPECT_EQ(f[0].type, FieldType::kFloat);
  EXPECT_EQ(f[1].type, FieldType::kInteger);
  EXPECT_EQ(f[1].i, -2);
  EXPECT_EQ(f[2].type, FieldType::kUnsigned);
  EXPECT_EQ(f[2].u, 3u);
  EXPECT_EQ(f[3].type, FieldType::kBoolean);
  EXPECT_TRUE(f[3].b);
  EXPECT_FALSE(f[4].b);
  EXPECT_EQ(f[5].type, FieldType::kString);
  EXPECT_EQ(f[5].s, "str");
  EXPECT_DOUBLE_EQ(f[6].f, -500);
  EXPECT_DOUBLE_EQ(f[7].f, 100000);
  EXPECT_DOUBLE_EQ(f[8].f, 1);
  EXPECT_TRUE(f[9].b);
  EXPECT_FALSE(f[10].b);
  EXPECT_EQ(f[11].i, INT64_MAX);
  EXPECT_EQ(f[12].i, INT64_MIN);
  EXPECT_EQ(f[13].u, UINT64_MAX);
}

TEST(LineProtocolTest, Escapes) {
  ParsedBatch b = Parse(R"(my\ meas\,x,t\ a\=k=v\,\=\ b f\ k\=\,="q\"\\x\y" 1)");
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  const Point& p = b.points()[0];
  EXPECT_EQ(p.measurement, "my meas,x");
  EXPECT_EQ(p.tags[0].key, "t a=k");
  EXPECT_EQ(p.tags[0].value, "v,= b");
  EXPECT_EQ(p.fields[0].key, "f k=,");
  EXPECT_EQ(p.fields[0].s, R"(q"\x\y)");
}

TEST(LineProtocolTest, MeasurementKeepsEqualsAndQuotes) {
  ParsedBatch b = Parse("\"m=x\" f=1");
  ASSERT_EQ(b.points().size(), 1u);
  EXPECT_EQ(b.points()[0].measurement, "\"m=x\"");
}

TEST(LineProtocolTest, StringFieldMaySpanLines) {
  ParsedBatch b = Parse("m s=\"a\nb\",x=1 5\nm f=2 6");
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  ASSERT_EQ(b.points().size(), 2u);
  EXPECT_EQ(b.points()[0].fields[0].s, "a\nb");
  EXPECT_EQ(b.points()[1].line, 3u);
}

TEST(LineProtocolTest, StringWithSpacesAndCommas) {
  ParsedBatch b = Parse("m s=\"a b,c=d\",x=1i 5");
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  auto f = b.points()[0].fields;
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].s, "a b,c=d");
  EXPECT_EQ(f[1].i, 1);
}

TEST(LineProtocolTest, EmptyString) {
  ParsedBatch b = Parse("m s=\"\" 5");
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  EXPECT_EQ(b.points()[0].fields[0].s, "");
}

TEST(LineProtocolTest, CommentsBlankLinesAndWhitespace) {
  ParsedBatch b = Parse("# comment\n\n   \n  m f=1 1\n\t# indented comment\nm f=2 2\n");
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  ASSERT_EQ(b.points().size(), 2u);
  EXPECT_EQ(b.points()[0].line, 4u);
  EXPECT_EQ(b.points()[1].line, 6u);
}

TEST(LineProtocolTest, MissingTimestampUsesNowTruncatedToPrecision) {
  EXPECT_EQ(Parse("m f=1").points()[0].ts, kNow);
  EXPECT_EQ(Parse("m f=1", Precision::kSecond).points()[0].ts, 1'700'000'000'000'000'000);
  EXPECT_EQ(Parse("m f=1", Precision::kMillisecond).points()[0].ts, 1'700'000'000'123'000'000);
}

TEST(LineProtocolTest, Precision) {
  EXPECT_EQ(Parse("m f=1 5", Precision::kMicrosecond).points()[0].ts, 5'000);
  EXPECT_EQ(Parse("m f=1 5", Precision::kMillisecond).points()[0].ts, 5'000'000);
  EXPECT_EQ(Parse("m f=1 5", Precision::kSecond).points()[0].ts, 5'000'000'000);
  EXPECT_EQ(Parse("m f=1 5", Precision::kMinute).points()[0].ts, 300'000'000'000);
  EXPECT_EQ(Parse("m f=1 2", Precision::kHour).points()[0].ts, 7'200'000'000'000);
  EXPECT_EQ(Parse("m f=1 -3", Precision::kSecond).points()[0].ts, -3'000'000'000);
  EXPECT_EQ(ParsePrecision("ms"), Precision::kMillisecond);
  EXPECT_EQ(ParsePrecision("u"), Precision::kMicrosecond);
  EXPECT_EQ(ParsePrecision("n"), Precision::kNanosecond);
  EXPECT_EQ(ParsePrecision(""), Precision::kNanosecond);
  EXPECT_EQ(ParsePrecision("h"), Precision::kHour);
  EXPECT_EQ(ParsePrecision("m"), Precision::kMinute);
}

TEST(LineProtocolTest, TrailingSpacesAllowed) {
  EXPECT_EQ(ErrorOf("m f=1 1  "), "");
  EXPECT_EQ(ErrorOf("m  f=1"), "");
  EXPECT_EQ(ErrorOf("m f=1  1"), "");
}

TEST(LineProtocolTest, DuplicateFieldKeepsLastValue) {
  ParsedBatch b = Parse("m f=1,g=2,f=3");
  auto f = b.points()[0].fields;
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].key, "f");
  EXPECT_DOUBLE_EQ(f[0].f, 3);
  EXPECT_EQ(f[1].key, "g");
}

// Reasons as InfluxDB 1.6 reports them (checked against influxd 1.6.7).
TEST(LineProtocolTest, ErrorWording) {
  EXPECT_EQ(Reason("m"), "missing fields");
  EXPECT_EQ(Reason("m,a=1"), "missing fields");
  EXPECT_EQ(Reason("m,a f=1"), "missing tag value");
  EXPECT_EQ(Reason("m,a= f=1"), "missing tag value");
  EXPECT_EQ(Reason("m, f=1"), "missing tag key");
  EXPECT_EQ(Reason("m,=1 f=1"), "missing tag key");
  EXPECT_EQ(Reason("m,a=1, f=1"), "missing tag key");
  EXPECT_EQ(Reason("m,a=1,b f=1"), "missing tag value");
  EXPECT_EQ(Reason("m =1"), "missing field key");
  EXPECT_EQ(Reason("m f=1,=2"), "missing field key");
  EXPECT_EQ(Reason("m f="), "missing field value");
  EXPECT_EQ(Reason("m f=1x"), "invalid number");
  EXPECT_EQ(Reason("m f=tru"), "invalid boolean");
  EXPECT_EQ(Reason("m f=tRue"), "invalid boolean");
  EXPECT_EQ(Reason("m f=+1"), "invalid boolean");
  EXPECT_EQ(Reason("m f=inf"), "invalid boolean");
  EXPECT_EQ(Reason("m f=NaN"), "invalid number");
  EXPECT_EQ(Reason("m f=1 abc"), "bad timestamp");
  EXPECT_EQ(Reason("m f=1 1.5"), "bad timestamp");
  EXPECT_EQ(Reason("m f=1 +5"), "bad timestamp");
  EXPECT_EQ(Reason("m f=1 1 2"), "point is invalid");
  EXPECT_EQ(Reason("m,a=1,a=2 f=1"), "duplicate tags");
  EXPECT_EQ(Reason("m,b=1,a=1,b=2 f=1"), "duplicate tags");
  EXPECT_EQ(Reason(",a=1 f=1"), "missing measurement");
  EXPECT_EQ(Reason("m f=1.2.3"), "invalid number");
  EXPECT_EQ(Reason("m f=1e"), "invalid float");
  EXPECT_EQ(Reason("m f=1e1000"), "invalid float");
  EXPECT_EQ(Reason("m f=-"), "invalid number");
  EXPECT_EQ(Reason("m f=-i"), "invalid number");
  EXPECT_EQ(Reason("m f=1.5i"), "invalid number");
  EXPECT_EQ(Reason("m f=1e5i"), "invalid number");
  EXPECT_EQ(Reason("m f=-1u"), "invalid number");
  EXPECT_EQ(Reason("m f=0x10"), "invalid number");
  EXPECT_EQ(Reason("m f=1,"), "invalid field format");
  EXPECT_EQ(Reason("m,a=b=c f=1"), "invalid tag format");
  EXPECT_EQ(Reason("m,a=1\\ f=1"), "invalid tag format");
  EXPECT_EQ(Reason("m\\ f=1"), "missing fields");
  EXPECT_EQ(Reason("m\tf=1"), "missing fields");
  EXPECT_EQ(Reason("m f=1\t1"), "invalid number");
  EXPECT_EQ(Reason("m f=\"abc"), "unbalanced quotes");
  EXPECT_EQ(Reason("m,a=1 f=1 ,g=2"), "bad timestamp");
  EXPECT_EQ(Reason("m f=9223372036854775808i"),
            "unable to parse integer 9223372036854775808: strconv.ParseInt: parsing "
            "\"9223372036854775808\": value out of range");
  EXPECT_EQ(Reason("m f=18446744073709551616u"),
            "unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing "
            "\"18446744073709551616\": value out of range");
  EXPECT_EQ(Reason("m f=1i 99999999999999999999"),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
  EXPECT_EQ(Reason("m f=1 9223372036854775807"),
            "time outside range -9223372036854775806 - 9223372036854775806");
  EXPECT_EQ(Reason("m f=1 -9223372036854775807"),
            "time outside range -9223372036854775806 - 9223372036854775806");
  EXPECT_EQ(ErrorOf("m f=1 -9223372036854775806"), "");
}

TEST(LineProtocolTest, EmptyFieldKeyAfterNulIsRejected) {
  // Found by fuzzing: NUL counts as whitespace before the field section.
  EXPECT_EQ(Reason(std::string_view("m \0=7", 5)), "missing field key");
}

TEST(LineProtocolTest, TimeOverflowWithPrecision) {
  ParsedBatch b = Parse("m f=1 9223372036854775", Precision::kSecond);
  EXPECT_EQ(b.ErrorText(),
            "unable to parse 'm f=1 9223372036854775': time outside range "
            "-9223372036854775806 - 9223372036854775806");
}

TEST(LineProtocolTest, PartialWriteKeepsGoodLines) {
  ParsedBatch b = Parse("m f=1 1\nm\nm f=2 2\nm,a f=1\n");
  ASSERT_EQ(b.points().size(), 2u);
  ASSERT_EQ(b.errors().size(), 2u);
  EXPECT_EQ(b.errors()[0].line, 2u);
  EXPECT_EQ(b.errors()[1].line, 4u);
  EXPECT_EQ(PartialWriteError(b.ErrorText(), 0),
            "partial write: unable to parse 'm': missing fields\n"
            "unable to parse 'm,a f=1': missing tag value dropped=0");
}

TEST(LineProtocolTest, UnbalancedQuoteSwallowsRestOfBody) {
  ParsedBatch b = Parse("m f=\"abc\nm f=1\n");
  EXPECT_TRUE(b.points().empty());
  EXPECT_EQ(b.ErrorText(), "unable to parse 'm f=\"abc\nm f=1': unbalanced quotes");
}

TEST(LineProtocolTest, MaxLineLength) {
  ParseOptions o;
  o.max_line_bytes = 10;
  ParsedBatch b = ParseLineProtocol("m f=1\nmeasurement f=12345\n", o);
  EXPECT_EQ(b.points().size(), 1u);
  ASSERT_EQ(b.errors().size(), 1u);
  EXPECT_EQ(b.errors()[0].line, 2u);
  EXPECT_NE(b.errors()[0].message.find("line too long"), std::string::npos);
}

TEST(LineProtocolTest, MaxKeyLength) {
  std::string line = "m,t=" + std::string(70000, 'x') + " f=1";
  EXPECT_EQ(Reason(line), "max key length exceeded: 70004 > 65535");
}

TEST(LineProtocolTest, ZeroCopyWhenNoEscapes) {
  std::string body = "cpu,host=a value=1 1";
  ParsedBatch b = Parse(body);
  const Point& p = b.points()[0];
  EXPECT_EQ(p.measurement.data(), body.data());
  EXPECT_EQ(p.tags[0].value.data(), body.data() + 9);
}

TEST(LineProtocolTest, ManyFieldsAndTags) {
  std::string line = "m";
  for (int i = 0; i < 50; ++i) line += ",t" + std::to_string(100 - i) + "=v";
  line += " ";
  for (int i = 0; i < 100; ++i) line += (i ? "," : "") + std::string("f") + std::to_string(i % 60) + "=" + std::to_string(i) + "i";
  ParsedBatch b = Parse(line);
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  EXPECT_EQ(b.points()[0].tags.size(), 50u);
  auto f = b.points()[0].fields;
  ASSERT_EQ(f.size(), 60u);
  EXPECT_EQ(f[0].key, "f0");
  EXPECT_EQ(f[0].i, 60);
}

TEST(LineProtocolTest, EscapedNewlineDoesNotEndLine) {
  ParsedBatch b = Parse("m,t=a\\\nb f=1 1\nm f=2 2");
  ASSERT_EQ(b.points().size(), 2u) << b.ErrorText();
  EXPECT_EQ(b.points()[0].tags[0].value, "a\\\nb");
  EXPECT_EQ(b.points()[1].line, 3u);
}

// A line whose series text was seen before takes the fast path when it is plain; every line here
// follows a good line with the same series text, so the fast path is tried on each, and its
// result (or its refusal, leaving the line to the general path) must equal the general path's.
TEST(LineProtocolTest, ReusedSeriesParsesLikeTheGeneralPath) {
  const char* lines[] = {
      "cpu,host=a v=1.5,w=2i,x=3u,y=t,z=\"s\" 1000",
      "cpu,host=a v=1.5,w=2i,x=3u,y=t 1000",
      "cpu,host=a v=-0.0,w=-9223372036854775807i,x=18446744073709551615u,y=FALSE 1",
      "cpu,host=a v=-.5,w=0i,x=0u,y=F",
      "cpu,host=a v=5.,w=-0i,x=00u,y=false  2",
      "cpu,host=a v=1e3,w=1i,x=1u,y=T 3",
      "cpu,host=a v=123456789012345,w=1i,x=1u,y=True 4",
      "cpu,host=a v=1234567890123456,w=1i,x=1u,y=True 4",
      "cpu,host=a v=0.30000000000000004,w=1i,x=1u,y=True 4",
      "cpu,host=a v=1.2.3,w=1i,x=1u,y=t 5",
      "cpu,host=a v=,w=1i,x=1u,y=t 5",
      "cpu,host=a v=1,v=2,w=1i,x=1u,y=t 5",
      "cpu,host=a w=1i,v=1,x=1u,y=t 5",
      "cpu,host=a v=1,w=1i,x=1u 5",
      "cpu,host=a v=1,w=1i,x=1u,y=t,z=1 5",
      "cpu,host=a v=1,w=1.5i,x=-1u,y=tru 5",
      "cpu,host=a v=1,w=1i,x=1u,y=t -5",
      "cpu,host=a v=1,w=1i,x=1u,y=t 5 ",
      "cpu,host=a v=1,w=1i,x=1u,y=t\t5",
      "cpu,host=a  v=1,w=1i,x=1u,y=t 5",
      "cpu,host=a v=1,w=1i,x=1u,y=t 99999999999999999999",
      "cpu,host=a v=1,w=1i,x=1u,y=t 9223372036854775807",
      "cpu,host=a v=1,w=1i,x=1u,y=t 922337203685477580",
      "cpu,host=a v=1,w=1i,x=1u,y=t 9223372036854775806",
      "cpu,host=a v=1,w=1i,x=1u,y=t 1451606400000000000",
      "cpu,host=a v=1,w=1i,x=1u,y=t 12a",
      "cpu,host=a v=NaN,w=1i,x=1u,y=t 5",
      "cpu,host=a v=+1,w=1i,x=1u,y=t 5",
      "cpu,host=a v=1,w=99999999999999999999i,x=1u,y=t 5",
      "cpu,host=a v=1,w=1i,x=99999999999999999999u,y=t 5",
      "cpu,host=a v=1 w=1i",
      "cpu,host=a v=1,w=1i,x=1u,y=t",
  };
  for (Precision precision : {Precision::kNanosecond, Precision::kHour}) {
    for (const char* line : lines) {
      // The primer makes the series known with keys v, w, x, y (it is plain: no quote).
      std::string body = "cpu,host=a v=0,w=0i,x=0u,y=f 7\n" + std::string(line) + "\n" + line;
      ParseOptions fast, general;
      fast.now = general.now = kNow;
      fast.precision = general.precision = precision;
      general.reuse_series = false;
      EXPECT_EQ(ParsedBatchText(ParseLineProtocol(body, fast)),
                ParsedBatchText(ParseLineProtocol(body, general)))
          << line;
    }
  }
}

TEST(LineProtocolTest, RepeatedSeriesShareIndexAndTags) {
  ParsedBatch b = Parse(
      "m,b=2,a=1 x=1,y=2 10\n"
      "n x=1 11\n"
      "m,b=2,a=1 x=3,y=4 12\n"
      "m,a=1,b=2 x=5,y=6 13\n");
  ASSERT_TRUE(b.errors().empty()) << b.ErrorText();
  ASSERT_EQ(b.points().size(), 4u);
  EXPECT_EQ(b.series_count(), 3u);  // the same tags written in another order are another text
  const auto& p = b.points();
  EXPECT_EQ(p[0].series_index, 0u);
  EXPECT_EQ(p[1].series_index, 1u);
  EXPECT_EQ(p[2].series_index, 0u);
  EXPECT_EQ(p[3].series_index, 2u);
  EXPECT_EQ(p[2].tags.data(), p[0].tags.data());  // reused, not parsed again
  ASSERT_EQ(p[2].tags.size(), 2u);
  EXPECT_EQ(p[2].tags[0].key, "a");
  ASSERT_EQ(p[2].fields.size(), 2u);
  EXPECT_EQ(p[2].fields[1].key, "y");
  EXPECT_EQ(p[2].fields[1].f, 4.0);
  EXPECT_EQ(p[2].ts, 12);
  EXPECT_EQ(p[2].line, 3u);
}

// Pieces cut by SplitLines parse, one after the other, to exactly what the whole body parses to,
// whatever the body holds: escaped newlines, backslashes before newlines, comments, blank and bad
// lines, CRs; and a body with a double quote is never cut.
TEST(LineProtocolTest, SplitLinesCutsOnlyWhereParsingEndsALine) {
  const char* parts[] = {
      "cpu,host=a v=1 1\n",
      "cpu,host=b\\ x v=2,w=3i 2\n",
      "mem\\\nx v=1 3\n",  // an escaped newline inside the measurement
      "disk,p=a\\ v=1\n",  // a tag value ending in an escaped space
      "net v=1\\\n",       // a backslash right before the newline
      "net v=1\\\\\n",     // an escaped backslash, then a real newline
      "# a comment\n",
      "\n",
      "   \n",
      "bad line\n",
      "cpu v=1 4\r\n",
      "cpu,host=a v=1 5",  // no newline: runs into the next part
  };
  std::mt19937 rng(42);
  ParseOptions o;
  o.now = kNow;
  for (int round = 0; round < 400; ++round) {
    std::string body;
    const size_t n = 1 + rng() % 200;
    for (size_t i = 0; i < n; ++i) body += parts[rng() % std::size(parts)];
    const size_t max_pieces = 1 + rng() % 8;
    const size_t min_bytes = 1 + rng() % 64;
    std::vector<std::string_view> pieces = SplitLines(body, max_pieces, min_bytes);
    ASSERT_FALSE(pieces.empty());
    ASSERT_LE(pieces.size(), max_pieces);
    std::string joined, points, errors;
    for (std::string_view p : pieces) {
      ASSERT_EQ(p.data(), body.data() + joined.size());  // consecutive, covering the body
      joined += p;
      ParsedBatch b = ParseLineProtocol(p, o);
      points += ParsedPointsText(b, false);
      errors += ParsedErrorsText(b, false);
    }
    ASSERT_EQ(joined, body);
    ParsedBatch whole = ParseLineProtocol(body, o);
    EXPECT_EQ(points, ParsedPointsText(whole, false)) << body;
    EXPECT_EQ(errors, ParsedErrorsText(whole, false)) << body;
  }
  std::string quoted;
  for (int i = 0; i < 100; ++i) quoted += "m s=\"a\nb\" 1\n";
  EXPECT_EQ(SplitLines(quoted, 4, 16).size(), 1u);
  std::string plain;
  for (int i = 0; i < 100; ++i) plain += "m v=1 1\n";
  EXPECT_EQ(SplitLines(plain, 4, 16).size(), 4u);
  EXPECT_EQ(SplitLines(plain, 4, plain.size()).size(), 1u);
  EXPECT_EQ(SplitLines("", 4, 1).size(), 1u);
}

}  // namespace
}  // namespace verbund::ingest
