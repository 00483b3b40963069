#include "mqtt/codec/codec.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace verbund::mqtt {
namespace {

constexpr auto k311 = ProtocolVersion::kV311;
constexpr auto k5 = ProtocolVersion::kV5;
constexpr uint32_t kNoLimit = 0xFFFFFFFF;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

// A 2-byte length-prefixed string.
std::string Str(std::string_view s) {
  std::string out = Bytes({static_cast<int>(s.size() >> 8), static_cast<int>(s.size() & 0xff)});
  out.append(s);
  return out;
}

// A whole packet from its first byte and body (remaining length < 128 assumed by callers
// that need exact bytes; larger bodies get a multi-byte length).
std::string Frame(int first_byte, std::string_view body) {
  std::string out(1, static_cast<char>(first_byte));
  size_t n = body.size();
  do {
    uint8_t d = n & 0x7f;
    n >>= 7;
    if (n) d |= 0x80;
    out.push_back(static_cast<char>(d));
  } while (n);
  out.append(body);
  return out;
}

std::string Encode(const Packet& p, ProtocolVersion v) {
  std::string out;
  EncodePacket(p, v, &out);
  EXPECT_EQ(out.size(), EncodedSize(p, v));
  return out;
}

// Parses the fixed header and decodes the body of one complete packet.
CodecResult<Packet> Decode(std::string_view bytes, ProtocolVersion v) {
  auto h = ParseFixedHeader(bytes, kNoLimit);
  if (!h) return CodecError{ReasonCode::kUnspecifiedError, "incomplete header"};
  if (auto* err = std::get_if<CodecError>(&*h)) return *err;
  const FixedHeader& fh = std::get<FixedHeader>(*h);
  if (bytes.size() != fh.total_length()) {
    return CodecError{ReasonCode::kUnspecifiedError, "test bytes are not one whole packet"};
  }
  return DecodePacket(fh, bytes.substr(fh.header_length), v);
}

ReasonCode ErrorOf(std::string_view bytes, ProtocolVersion v) {
  auto r = Decode(bytes, v);
  if (auto* err = std::get_if<CodecError>(&r)) return err->reason;
  ADD_FAILURE() << "decoded successfully, expected an error";
  return ReasonCode::kSuccess;
}

Packet MustDecode(std::string_view bytes, ProtocolVersion v) {
  auto r = Decode(bytes, v);
  if (auto* err = std::get_if<CodecError>(&r)) {
    ADD_FAILURE() << "decode failed: " << err->message;
    return PingreqPacket{};
  }
  return std::get<Packet>(r);
}

void ExpectRoundTrip(const Packet& p, ProtocolVersion v) {
  const std::string bytes = Encode(p, v);
  auto r = Decode(bytes, v);
  auto* err = std::get_if<CodecError>(&r);
  ASSERT_EQ(err, nullptr) << err->message;
  EXPECT_TRUE(std::get<Packet>(r) == p) << "packet type " << static_cast<int>(TypeOf(p));
  // Every strict prefix of the body is an error, never a crash or a different packet.
  auto fh = std::get<FixedHeader>(*ParseFixedHeader(bytes, kNoLimit));
  std::string_view body = std::string_view(bytes).substr(fh.header_length);
  for (size_t n = 0; n < body.size(); ++n) {
    FixedHeader cut = fh;
    cut.remaining_length = static_cast<uint32_t>(n);
    auto pr = DecodePacket(cut, body.substr(0, n), v);
    if (auto* ok = std::get_if<Packet>(&pr)) {
      // Short forms (5.0 acks, DISCONNECT, AUTH) may legitimately decode; they must differ.
      EXPECT_FALSE(*ok == p) << "prefix " << n << " decoded to the same packet";
    }
  }
}

// Every property a packet can carry, filled with distinct values.
Properties ConnectProps() {
  Properties p;
  p.session_expiry_interval = 3600;
  p.authentication_method = "SCRAM-SHA-1";
  p.authentication_data = std::string("\x00\x01\xff", 3);
  p.request_problem_information = 0;
  p.request_response_information = 1;
  p.receive_maximum = 20;
  p.topic_alias_maximum = 10;
  p.maximum_packet_size = 1 << 20;
  p.user_properties = {{"k", "v"}, {"k", "v2"}, {"", ""}};
  return p;
}

Properties WillProps() {
  Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 60;
  p.content_type = "text/plain";
  p.response_topic = "reply/to";
  p.correlation_data = std::string("\x00\x7f", 2);
  p.will_delay_interval = 5;
  p.user_properties = {{"w", "1"}};
  return p;
}

Properties ConnackProps() {
  Properties p;
  p.session_expiry_interval = 0;
  p.assigned_client_identifier = "auto-1";
  p.server_keep_alive = 30;
  p.authentication_method = "SCRAM-SHA-1";
  p.authentication_data = "x";
  p.response_information = "resp/";
  p.server_reference = "other:1883";
  p.reason_string = "ok";
  p.receive_maximum = 65535;
  p.topic_alias_maximum = 0;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.maximum_packet_size = 268435460;
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 0;
  p.shared_subscription_available = 1;
  p.user_properties = {{"server", "verbund"}};
  return p;
}

Properties PublishProps() {
  Properties p;
  p.payload_format_indicator = 0;
  p.message_expiry_interval = 0xFFFFFFFF;
  p.content_type = "application/json";
  p.response_topic = "r";
  p.correlation_data = "";
  p.subscription_identifiers = {1, 268435455, 128};
  p.topic_alias = 7;
  p.user_properties = {{"a", "b"}, {"a", "b"}};
  return p;
}

Properties ReasonProps() {
  Properties p;
  p.reason_string = "because";
  p.user_properties = {{"x", "y"}};
  return p;
}

ConnectPacket FullConnect(ProtocolVersion v) {
  ConnectPacket c;
  c.version = v;
  c.clean_start = false;
  c.keep_alive = 65535;
  c.client_id = "client-\xc3\xa9";
  Will w;
  w.topic = "dead/client";
  w.payload = std::string("\x00gone", 5);
  w.qos = 2;
  w.retain = true;
  if (v == k5) w.properties = WillProps();
  c.will = w;
  c.username = "user";
  c.password = std::string("p\x00ss", 4);
  if (v == k5) c.properties = ConnectProps();
  return c;
}

// ------------------------------------------------------------------------------------------
// Round trips, every packet type in both versions.

class RoundTripTest : public ::testing::TestWithParam<ProtocolVersion> {};

TEST_P(RoundTripTest, ConnectMinimal) {
  ConnectPacket c;
  c.version = GetParam();
  ExpectRoundTrip(c, GetParam());
}

TEST_P(RoundTripTest, ConnectWithWillUserAndPassword) {
  ExpectRoundTrip(FullConnect(GetParam()), GetParam());
}

TEST_P(RoundTripTest, ConnectWillQos1WithoutRetain) {
  ConnectPacket c = FullConnect(GetParam());
  c.will->qos = 1;
  c.will->retain = false;
  c.password.reset();
  ExpectRoundTrip(c, GetParam());
}

TEST_P(RoundTripTest, Connack) {
  ConnackPacket c;
  c.session_present = true;
  ExpectRoundTrip(c, GetParam());
  c.session_present = false;
  c.reason = ReasonCode::kNotAuthorized;
  ExpectRoundTrip(c, GetParam());
}

TEST_P(RoundTripTest, PublishEveryQos) {
  for (uint8_t qos = 0; qos <= 2; ++qos) {
    PublishPacket p;
    p.topic = "sensors/line-1/temp";
    p.payload = std::string(300, '\x00');
    p.qos = qos;
    p.retain = qos == 1;
    p.dup = qos == 2;
    p.packet_id = qos ? 65535 : 0;
    ExpectRoundTrip(p, GetParam());
  }
}

TEST_P(RoundTripTest, PublishEmptyPayload) {
  PublishPacket p;
  p.topic = "a";
  ExpectRoundTrip(p, GetParam());
}

TEST_P(RoundTripTest, AllAckTypes) {
  for (PacketType t : {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel,
                       PacketType::kPubcomp}) {
    AckPacket a;
    a.type = t;
    a.packet_id = 1;
    ExpectRoundTrip(a, GetParam());
  }
}

TEST_P(RoundTripTest, Subscribe) {
  SubscribePacket s;
  s.packet_id = 10;
  s.subscriptions.push_back({"a/+/c", {0}});
  s.subscriptions.push_back({"#", {1}});
  s.subscriptions.push_back({"$share/g/x/#", {2}});
  ExpectRoundTrip(s, GetParam());
}

TEST_P(RoundTripTest, Suback) {
  SubackPacket s;
  s.packet_id = 10;
  s.reasons = {ReasonCode::kGrantedQos1, ReasonCode::kSuccess, ReasonCode::kGrantedQos2,
               ReasonCode::kUnspecifiedError};
  ExpectRoundTrip(s, GetParam());
}

TEST_P(RoundTripTest, Unsubscribe) {
  UnsubscribePacket u;
  u.packet_id = 11;
  u.filters = {"a/b", "+/+", "#"};
  ExpectRoundTrip(u, GetParam());
}

TEST_P(RoundTripTest, Unsuback) {
  UnsubackPacket u;
  u.packet_id = 11;
  if (GetParam() == k5) u.reasons = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted};
  ExpectRoundTrip(u, GetParam());
}

TEST_P(RoundTripTest, PingreqPingresp) {
  ExpectRoundTrip(PingreqPacket{}, GetParam());
  ExpectRoundTrip(PingrespPacket{}, GetParam());
}

TEST_P(RoundTripTest, Disconnect) { ExpectRoundTrip(DisconnectPacket{}, GetParam()); }

INSTANTIATE_TEST_SUITE_P(BothVersions, RoundTripTest, ::testing::Values(k311, k5),
                         [](const auto& info) {
                           return info.param == k311 ? std::string("V311") : std::string("V5");
                         });

// 5.0-only content: every property id, reason codes, AUTH.

TEST(RoundTripV5Test, ConnectWithEveryConnectAndWillProperty) {
  ExpectRoundTrip(FullConnect(k5), k5);
}

TEST(RoundTripV5Test, ConnectPasswordWithoutUsername) {
  ConnectPacket c;
  c.version = k5;
  c.password = "secret";
  ExpectRoundTrip(c, k5);
}

TEST(RoundTripV5Test, ConnackWithEveryConnackProperty) {
  ConnackPacket c;
  c.reason = ReasonCode::kBadAuthenticationMethod;
  c.properties = ConnackProps();
  ExpectRoundTrip(c, k5);
}

TEST(RoundTripV5Test, PublishWithEveryPublishProperty) {
  PublishPacket p;
  p.topic = "t";
  p.payload = "{}";
  p.qos = 1;
  p.packet_id = 9;
  p.properties = PublishProps();
  ExpectRoundTrip(p, k5);
}

TEST(RoundTripV5Test, PublishEmptyTopicWithAlias) {
  PublishPacket p;
  p.properties.topic_alias = 3;
  p.payload = "x";
  ExpectRoundTrip(p, k5);
}

TEST(RoundTripV5Test, AcksWithReasonOnlyAndWithProperties) {
  for (PacketType t : {PacketType::kPuback, PacketType::kPubrec}) {
    AckPacket a;
    a.type = t;
    a.packet_id = 2;
    a.reason = ReasonCode::kNoMatchingSubscribers;
    ExpectRoundTrip(a, k5);
    a.properties = ReasonProps();
    ExpectRoundTrip(a, k5);
    a.reason = ReasonCode::kSuccess;
    ExpectRoundTrip(a, k5);
  }
  for (PacketType t : {PacketType::kPubrel, PacketType::kPubcomp}) {
    AckPacket a;
    a.type = t;
    a.packet_id = 2;
    a.reason = ReasonCode::kPacketIdentifierNotFound;
    ExpectRoundTrip(a, k5);
    a.properties = ReasonProps();
    ExpectRoundTrip(a, k5);
  }
}

TEST(RoundTripV5Test, SubscribeWithOptionsAndSubscriptionIdentifier) {
  SubscribePacket s;
  s.packet_id = 1;
  s.properties.subscription_identifiers = {42};
  s.properties.user_properties = {{"u", "v"}};
  s.subscriptions.push_back({"a/#", {2, true, true, 2}});
  s.subscriptions.push_back({"b", {1, false, true, 1}});
  s.subscriptions.push_back({"$share/grp/c", {0, false, false, 0}});
  ExpectRoundTrip(s, k5);
}

TEST(RoundTripV5Test, SubackWithEveryReason) {
  SubackPacket s;
  s.packet_id = 3;
  s.properties = ReasonProps();
  for (int c : {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2}) {
    s.reasons.push_back(static_cast<ReasonCode>(c));
  }
  ExpectRoundTrip(s, k5);
}

TEST(RoundTripV5Test, UnsubscribeAndUnsubackWithProperties) {
  UnsubscribePacket u;
  u.packet_id = 4;
  u.filters = {"x"};
  u.properties.user_properties = {{"a", "b"}};
  ExpectRoundTrip(u, k5);
  UnsubackPacket a;
  a.packet_id = 4;
  a.properties = ReasonProps();
  a.reasons = {ReasonCode::kNotAuthorized};
  ExpectRoundTrip(a, k5);
}

TEST(RoundTripV5Test, DisconnectReasonOnlyAndWithEveryDisconnectProperty) {
  DisconnectPacket d;
  d.reason = ReasonCode::kDisconnectWithWill;
  ExpectRoundTrip(d, k5);
  d.reason = ReasonCode::kServerMoved;
  d.properties.session_expiry_interval = 10;
  d.properties.server_reference = "b:1883";
  d.properties.reason_string = "moving";
  d.properties.user_properties = {{"a", "b"}};
  ExpectRoundTrip(d, k5);
}

TEST(RoundTripV5Test, Auth) {
  ExpectRoundTrip(AuthPacket{}, k5);
  AuthPacket a;
  a.reason = ReasonCode::kContinueAuthentication;
  ExpectRoundTrip(a, k5);
  a.properties.authentication_method = "SCRAM-SHA-1";
  a.properties.authentication_data = "client-first";
  a.properties.reason_string = "more";
  a.properties.user_properties = {{"a", "b"}};
  ExpectRoundTrip(a, k5);
}

// Every property id is encoded, in at least one packet, and decodes to the same value.
TEST(RoundTripV5Test, EveryPropertyIdIsCovered) {
  std::vector<int> seen;
  auto collect = [&](const std::string& bytes) {
    for (unsigned char c : bytes) seen.push_back(c);
  };
  collect(Encode(FullConnect(k5), k5));
  ConnackPacket ca;
  ca.properties = ConnackProps();
  collect(Encode(ca, k5));
  PublishPacket p;
  p.topic = "t";
  p.properties = PublishProps();
  collect(Encode(p, k5));
  for (int id : {0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18,
                 0x19, 0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
                 0x2A}) {
    EXPECT_NE(std::find(seen.begin(), seen.end(), id), seen.end()) << "property " << id;
  }
}

// 3.1.1 drops 5.0-only fields.
TEST(EncodeTest, V311OmitsPropertiesAndReasons) {
  AckPacket a;
  a.packet_id = 5;
  a.reason = ReasonCode::kNoMatchingSubscribers;
  a.properties = ReasonProps();
  EXPECT_EQ(Encode(a, k311), Bytes({0x40, 0x02, 0x00, 0x05}));
  UnsubackPacket u;
  u.packet_id = 5;
  u.reasons = {ReasonCode::kSuccess};
  EXPECT_EQ(Encode(u, k311), Bytes({0xB0, 0x02, 0x00, 0x05}));
  DisconnectPacket d;
  d.reason = ReasonCode::kServerShuttingDown;
  EXPECT_EQ(Encode(d, k311), Bytes({0xE0, 0x00}));
}

TEST(EncodeTest, V311SubackFailureIs0x80) {
  SubackPacket s;
  s.packet_id = 1;
  s.reasons = {ReasonCode::kNotAuthorized, ReasonCode::kGrantedQos1};
  EXPECT_EQ(Encode(s, k311), Bytes({0x90, 0x04, 0x00, 0x01, 0x80, 0x01}));
}

TEST(EncodeTest, V311ConnackUsesReturnCodes) {
  ConnackPacket c;
  c.reason = ReasonCode::kBadUserNameOrPassword;
  EXPECT_EQ(Encode(c, k311), Bytes({0x20, 0x02, 0x00, 0x04}));
  c.reason = ReasonCode::kUnsupportedProtocolVersion;
  EXPECT_EQ(Encode(c, k311), Bytes({0x20, 0x02, 0x00, 0x01}));
}

TEST(EncodeTest, V5AckShortForms) {
  AckPacket a;
  a.type = PacketType::kPubrel;
  a.packet_id = 0x1234;
  EXPECT_EQ(Encode(a, k5), Bytes({0x62, 0x02, 0x12, 0x34}));
  a.reason = ReasonCode::kPacketIdentifierNotFound;
  EXPECT_EQ(Encode(a, k5), Bytes({0x62, 0x03, 0x12, 0x34, 0x92}));
  DisconnectPacket d;
  EXPECT_EQ(Encode(d, k5), Bytes({0xE0, 0x00}));
  d.reason = ReasonCode::kDisconnectWithWill;
  EXPECT_EQ(Encode(d, k5), Bytes({0xE0, 0x01, 0x04}));
}

TEST(EncodeTest, EncodeAppendsToExistingBuffer) {
  std::string out = "prefix";
  EncodePacket(PingreqPacket{}, k311, &out);
  EXPECT_EQ(out, "prefix" + Bytes({0xC0, 0x00}));
}

TEST(EncodeTest, LargePublishUsesMultiByteRemainingLength) {
  PublishPacket p;
  p.topic = "t";
  p.payload = std::string(2'000'000, 'x');
  const std::string bytes = Encode(p, k311);
  auto h = std::get<FixedHeader>(*ParseFixedHeader(bytes, kNoLimit));
  EXPECT_EQ(h.header_length, 4);
  EXPECT_EQ(h.total_length(), bytes.size());
  EXPECT_TRUE(MustDecode(bytes, k311) == Packet(p));
}

// ------------------------------------------------------------------------------------------
// EncodePublish (delivery fast path)

TEST(EncodePublishTest, MatchesEncodePacketForSamePacket) {
  PublishPacket p;
  p.topic = "a/b";
  p.payload = "hello";
  p.qos = 2;
  p.packet_id = 77;
  p.retain = true;
  p.properties = PublishProps();
  for (auto v : {k311, k5}) {
    PublishView view;
    view.topic = p.topic;
    view.payload = p.payload;
    view.qos = p.qos;
    view.retain = p.retain;
    view.packet_id = p.packet_id;
    view.properties = &p.properties;
    std::string a, b;
    EncodePublish(view, v, &a);
    EncodePacket(p, v, &b);
    EXPECT_EQ(a, b);
    EXPECT_EQ(EncodedPublishSize(view, v), a.size());
  }
}

TEST(EncodePublishTest, OverridesReplaceSubscriptionIdsAliasAndExpiry) {
  Properties props = PublishProps();
  std::vector<uint32_t> ids = {5};
  PublishView view;
  view.topic = "";
  view.payload = "p";
  view.qos = 1;
  view.packet_id = 3;
  view.properties = &props;
  view.subscription_ids = &ids;
  view.topic_alias = 2;
  view.message_expiry_interval = 9;
  std::string out;
  EncodePublish(view, k5, &out);
  EXPECT_EQ(out.size(), EncodedPublishSize(view, k5));
  auto p = std::get<PublishPacket>(MustDecode(out, k5));
  EXPECT_EQ(p.properties.subscription_identifiers, ids);
  EXPECT_EQ(p.properties.topic_alias, 2);
  EXPECT_EQ(p.properties.message_expiry_interval, 9u);
  EXPECT_EQ(p.properties.content_type, props.content_type);
  EXPECT_EQ(p.topic, "");
}

TEST(EncodePublishTest, NullPropertiesAndEmptyIdsWriteZeroPropertyLength) {
  PublishView view;
  view.topic = "t";
  view.payload = "x";
  std::vector<uint32_t> none;
  view.subscription_ids = &none;
  std::string out;
  EncodePublish(view, k5, &out);
  EXPECT_EQ(out, Bytes({0x30, 0x05, 0x00, 0x01, 't', 0x00, 'x'}));
}

TEST(EncodePublishTest, DupIsDroppedForQos0) {
  PublishView view;
  view.topic = "t";
  view.dup = true;
  std::string out;
  EncodePublish(view, k311, &out);
  EXPECT_EQ(out, Bytes({0x30, 0x03, 0x00, 0x01, 't'}));
}

// ------------------------------------------------------------------------------------------
// Golden bytes from the specifications' examples.

TEST(GoldenTest, V311ConnectFromSpecExample) {
  // 3.1.1 section 3.1.2.10: protocol name MQTT, level 4, flags 0xCE (user name, password,
  // will QoS 1, will flag, clean session), keep alive 10.
  const std::string body = Str("MQTT") + Bytes({0x04, 0xCE, 0x00, 0x0A}) + Str("id") +
                           Str("w/t") + Str("bye") + Str("u") + Str("pw");
  auto c = std::get<ConnectPacket>(MustDecode(Frame(0x10, body), k311));
  EXPECT_EQ(c.version, k311);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 10);
  EXPECT_EQ(c.client_id, "id");
  ASSERT_TRUE(c.will.has_value());
  EXPECT_EQ(c.will->qos, 1);
  EXPECT_FALSE(c.will->retain);
  EXPECT_EQ(c.will->topic, "w/t");
  EXPECT_EQ(c.will->payload, "bye");
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "pw");
  EXPECT_EQ(Encode(c, k311), Frame(0x10, body));
}

TEST(GoldenTest, V5ConnectFromSpecExample) {
  // 5.0 section 3.1.2.11 example: level 5, flags 0xCE, keep alive 10, properties length 5,
  // Session Expiry Interval (0x11) = 10.
  const std::string body = Str("MQTT") + Bytes({0x05, 0xCE, 0x00, 0x0A, 0x05, 0x11, 0x00,
                                                0x00, 0x00, 0x0A}) +
                           Str("id") + Bytes({0x00}) + Str("w/t") + Str("bye") + Str("u") +
                           Str("pw");
  auto c = std::get<ConnectPacket>(MustDecode(Frame(0x10, body), k5));
  EXPECT_EQ(c.version, k5);
  EXPECT_EQ(c.properties.session_expiry_interval, 10u);
  EXPECT_EQ(c.will->qos, 1);
  EXPECT_EQ(Encode(c, k5), Frame(0x10, body));
}

TEST(GoldenTest, V311Connack) {
  auto c = std::get<ConnackPacket>(MustDecode(Bytes({0x20, 0x02, 0x01, 0x00}), k311));
  EXPECT_TRUE(c.session_present);
  EXPECT_EQ(c.reason, ReasonCode::kSuccess);
}

TEST(GoldenTest, PublishQos1) {
  const std::string bytes =
      Bytes({0x32, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'e', 'y'});
  auto p = std::get<PublishPacket>(MustDecode(bytes, k311));
  EXPECT_EQ(p.topic, "a/b");
  EXPECT_EQ(p.qos, 1);
  EXPECT_EQ(p.packet_id, 10);
  EXPECT_EQ(p.payload, "hey");
  EXPECT_EQ(Encode(p, k311), bytes);
  // The same bytes are not a valid 5.0 PUBLISH: 'h' (0x68) would be the property length.
  EXPECT_EQ(ErrorOf(bytes, k5), ReasonCode::kMalformedPacket);
}

TEST(GoldenTest, V5PublishWithTopicAliasProperty) {
  const std::string bytes =
      Bytes({0x30, 0x09, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x05, 'h', 'i'});
  auto p = std::get<PublishPacket>(MustDecode(bytes, k5));
  EXPECT_EQ(p.properties.topic_alias, 5);
  EXPECT_EQ(p.payload, "hi");
  EXPECT_EQ(Encode(p, k5), bytes);
}

TEST(GoldenTest, Subscribe) {
  // 3.1.1 section 3.8.3 example: "a/b" QoS 1, "c/d" QoS 2, packet id 10.
  const std::string bytes = Frame(0x82, Bytes({0x00, 0x0A}) + Str("a/b") + Bytes({0x01}) +
                                            Str("c/d") + Bytes({0x02}));
  auto s = std::get<SubscribePacket>(MustDecode(bytes, k311));
  ASSERT_EQ(s.subscriptions.size(), 2u);
  EXPECT_EQ(s.subscriptions[1].filter, "c/d");
  EXPECT_EQ(s.subscriptions[1].options.max_qos, 2);
  EXPECT_EQ(Encode(s, k311), bytes);
}

TEST(GoldenTest, PingAndDisconnect) {
  EXPECT_EQ(Encode(PingreqPacket{}, k311), Bytes({0xC0, 0x00}));
  EXPECT_EQ(Encode(PingrespPacket{}, k5), Bytes({0xD0, 0x00}));
  EXPECT_EQ(Encode(DisconnectPacket{}, k311), Bytes({0xE0, 0x00}));
  EXPECT_EQ(Encode(AuthPacket{}, k5), Bytes({0xF0, 0x00}));
}

// ------------------------------------------------------------------------------------------
// Fixed header

std::optional<CodecResult<FixedHeader>> Parse(const std::string& b, uint32_t max = kNoLimit) {
  return ParseFixedHeader(b, max);
}
ReasonCode HeaderError(const std::string& b, uint32_t max = kNoLimit) {
  auto h = Parse(b, max);
  if (!h) {
    ADD_FAILURE() << "header incomplete";
    return ReasonCode::kSuccess;
  }
  auto* e = std::get_if<CodecError>(&*h);
  if (!e) {
    ADD_FAILURE() << "header parsed";
    return ReasonCode::kSuccess;
  }
  return e->reason;
}

TEST(FixedHeaderTest, EmptyAndPartialLengthNeedMoreBytes) {
  EXPECT_FALSE(Parse("").has_value());
  EXPECT_FALSE(Parse(Bytes({0x30})).has_value());
  EXPECT_FALSE(Parse(Bytes({0x30, 0x80})).has_value());
  EXPECT_FALSE(Parse(Bytes({0x30, 0xFF, 0xFF, 0xFF})).has_value());
}

TEST(FixedHeaderTest, RemainingLengthOfFiveBytesIsMalformed) {
  EXPECT_EQ(HeaderError(Bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})),
            ReasonCode::kMalformedPacket);
}

TEST(FixedHeaderTest, MaximumRemainingLengthParses) {
  auto h = std::get<FixedHeader>(*Parse(Bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F})));
  EXPECT_EQ(h.remaining_length, 268'435'455u);
  EXPECT_EQ(h.header_length, 5);
  EXPECT_EQ(h.type(), PacketType::kPublish);
}

TEST(FixedHeaderTest, NonMinimalRemainingLengthIsMalformed) {
  EXPECT_EQ(HeaderError(Bytes({0xC0, 0x80, 0x00})), ReasonCode::kMalformedPacket);
}

TEST(FixedHeaderTest, PacketLargerThanMaximumIsTooLarge) {
  EXPECT_EQ(HeaderError(Bytes({0x30, 0x0A}), 11), ReasonCode::kPacketTooLarge);
  EXPECT_TRUE(std::holds_alternative<FixedHeader>(*Parse(Bytes({0x30, 0x0A}), 12)));
}

TEST(FixedHeaderTest, ReservedPacketTypeZeroIsMalformed) {
  EXPECT_EQ(HeaderError(Bytes({0x00, 0x00})), ReasonCode::kMalformedPacket);
}

TEST(FixedHeaderTest, PubrelSubscribeUnsubscribeFlagsMustBe0010) {
  for (int type : {0x60, 0x80, 0xA0}) {
    EXPECT_TRUE(std::holds_alternative<FixedHeader>(*Parse(Bytes({type | 2, 0}))));
    for (int flags : {0, 1, 3, 4, 8, 15}) {
      EXPECT_EQ(HeaderError(Bytes({type | flags, 0})), ReasonCode::kMalformedPacket) << type;
    }
  }
}

TEST(FixedHeaderTest, OtherTypesNeedZeroFlags) {
  for (int type : {0x10, 0x20, 0x40, 0x50, 0x70, 0x90, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0}) {
    EXPECT_TRUE(std::holds_alternative<FixedHeader>(*Parse(Bytes({type, 0}))));
    EXPECT_EQ(HeaderError(Bytes({type | 2, 0})), ReasonCode::kMalformedPacket) << type;
  }
}

TEST(FixedHeaderTest, PublishQos3IsMalformed) {
  EXPECT_EQ(HeaderError(Bytes({0x36, 0x00})), ReasonCode::kMalformedPacket);
}

TEST(FixedHeaderTest, PublishQos0WithDupIsMalformed) {
  EXPECT_EQ(HeaderError(Bytes({0x38, 0x00})), ReasonCode::kMalformedPacket);
  EXPECT_TRUE(std::holds_alternative<FixedHeader>(*Parse(Bytes({0x3B, 0x00}))));
}

TEST(DecodeTest, BodySizeDifferentFromRemainingLengthIsMalformed) {
  FixedHeader h;
  h.first_byte = 0xC0;
  h.remaining_length = 1;
  h.header_length = 2;
  auto r = DecodePacket(h, "", k311);
  EXPECT_EQ(std::get<CodecError>(r).reason, ReasonCode::kMalformedPacket);
}

TEST(DecodeTest, FlagsAreRecheckedByDecodePacket) {
  FixedHeader h;
  h.first_byte = 0x80;  // SUBSCRIBE with flags 0000
  auto r = DecodePacket(h, "", k311);
  EXPECT_EQ(std::get<CodecError>(r).reason, ReasonCode::kMalformedPacket);
}

// ------------------------------------------------------------------------------------------
// CONNECT

std::string ConnectBody(int level, int flags, std::string_view tail) {
  return Str("MQTT") + Bytes({level, flags, 0x00, 0x3C}) + std::string(tail);
}

TEST(ConnectTest, MQIsdpLevel3DecodesAsMqtt31) {
  const std::string body = Str("MQIsdp") + Bytes({0x03, 0x02, 0x00, 0x3C}) + Str("id");
  auto c = std::get<ConnectPacket>(MustDecode(Frame(0x10, body), k311));
  EXPECT_EQ(c.version, k311);
  EXPECT_EQ(c.protocol_name, "MQIsdp");
  EXPECT_EQ(c.client_id, "id");
  // Encoding it again gives the same bytes (level 3, not 4).
  std::string out;
  EncodePacket(c, k311, &out);
  EXPECT_EQ(out, Frame(0x10, body));
}

TEST(ConnectTest, MQIsdpWithAnotherLevelIsUnsupportedProtocolVersion) {
  for (int level : {4, 5}) {
    const std::string body = Str("MQIsdp") + Bytes({level, 0x02, 0x00, 0x3C}) + Str("id");
    EXPECT_EQ(ErrorOf(Frame(0x10, body), k311), ReasonCode::kUnsupportedProtocolVersion);
  }
}

TEST(ConnectTest, UnknownLevelIsUnsupportedProtocolVersion) {
  for (int level : {0, 3, 6, 255}) {
    EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(level, 0x02, Str("id"))), k311),
              ReasonCode::kUnsupportedProtocolVersion)
        << level;
  }
}

TEST(ConnectTest, OtherProtocolNameIsAProtocolError) {
  // Not MQTT at all: the server closes without a CONNACK (3.1.1 MQTT-3.1.2-1).
  const std::string body = Str("MQTX") + Bytes({0x04, 0x02, 0x00, 0x3C}) + Str("id");
  EXPECT_EQ(ErrorOf(Frame(0x10, body), k311), ReasonCode::kProtocolError);
}

TEST(ConnectTest, ConnectVersionReadsOnlyNameAndLevel) {
  EXPECT_EQ(ConnectVersion(ConnectBody(5, 0x03, "")), k5);  // invalid flags: still 5.0
  EXPECT_EQ(ConnectVersion(ConnectBody(4, 0x02, "")), k311);
  EXPECT_EQ(ConnectVersion(Str("MQIsdp") + Bytes({0x03})), k311);
  EXPECT_EQ(ConnectVersion(ConnectBody(6, 0x02, "")), std::nullopt);
  EXPECT_EQ(ConnectVersion(Str("MQIsdp") + Bytes({0x05})), std::nullopt);
  EXPECT_EQ(ConnectVersion(Str("MQTX") + Bytes({0x05})), std::nullopt);
  EXPECT_EQ(ConnectVersion(Bytes({0x00, 0x04}) + "MQ"), std::nullopt);  // truncated
  EXPECT_EQ(ConnectVersion(""), std::nullopt);
}

TEST(ConnectTest, VersionComesFromThePacketNotTheConnection) {
  auto c = std::get<ConnectPacket>(
      MustDecode(Frame(0x10, ConnectBody(5, 0x02, Bytes({0x00}) + Str("id"))), k311));
  EXPECT_EQ(c.version, k5);
}

TEST(ConnectTest, ReservedFlagSetIsMalformed) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x03, Str("id"))), k311),
            ReasonCode::kMalformedPacket);
}

TEST(ConnectTest, WillQos3IsMalformed) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x1C, Str("id") + Str("t") + Str("p"))), k311),
            ReasonCode::kMalformedPacket);
}

TEST(ConnectTest, WillQosOrRetainWithoutWillFlagIsMalformed) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x08, Str("id"))), k311),
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x20, Str("id"))), k311),
            ReasonCode::kMalformedPacket);
}

TEST(ConnectTest, PasswordWithoutUserNameIsMalformedIn311) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x40, Str("id") + Str("pw"))), k311),
            ReasonCode::kMalformedPacket);
}

TEST(ConnectTest, PasswordWithoutUserNameIsAllowedIn5) {
  auto c = std::get<ConnectPacket>(
      MustDecode(Frame(0x10, ConnectBody(5, 0x40, Bytes({0x00}) + Str("id") + Str("pw"))), k5));
  EXPECT_FALSE(c.username.has_value());
  EXPECT_EQ(c.password, "pw");
}

TEST(ConnectTest, EmptyClientIdIsDecoded) {
  auto c = std::get<ConnectPacket>(MustDecode(Frame(0x10, ConnectBody(4, 0x02, Str(""))), k311));
  EXPECT_EQ(c.client_id, "");
}

TEST(ConnectTest, TrailingBytesAreMalformed) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x02, Str("id") + "x")), k311),
            ReasonCode::kMalformedPacket);
}

TEST(ConnectTest, MissingUserNameIsMalformed) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x80, Str("id"))), k311),
            ReasonCode::kMalformedPacket);
}

TEST(ConnectTest, ClientIdWithNulIsMalformed) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x02, Str(std::string("a\0b", 3)))), k311),
            ReasonCode::kMalformedPacket);
}

TEST(ConnectTest, WillTopicWithWildcardIsTopicNameInvalid) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(4, 0x06, Str("id") + Str("a/#") + Str("p"))), k311),
            ReasonCode::kTopicNameInvalid);
}

TEST(ConnectTest, PropertyNotAllowedInConnectIsMalformed) {
  // Topic Alias (0x23) is a PUBLISH property.
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(5, 0x02, Bytes({0x03, 0x23, 0x00, 0x01}) + Str("id"))),
                    k5),
            ReasonCode::kMalformedPacket);
}

TEST(ConnectTest, WillDelayOnlyInWillProperties) {
  // In the CONNECT properties Will Delay Interval (0x18) is not allowed.
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(5, 0x02, Bytes({0x05, 0x18, 0, 0, 0, 1}) + Str("id"))),
                    k5),
            ReasonCode::kMalformedPacket);
  auto c = std::get<ConnectPacket>(MustDecode(
      Frame(0x10, ConnectBody(5, 0x06, Bytes({0x00}) + Str("id") + Bytes({0x05, 0x18, 0, 0, 0, 1}) +
                                           Str("t") + Str("p"))),
      k5));
  EXPECT_EQ(c.will->properties.will_delay_interval, 1u);
}

TEST(ConnectTest, RepeatedSessionExpiryIsProtocolError) {
  const std::string props = Bytes({0x0A, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2});
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(5, 0x02, props + Str("id"))), k5),
            ReasonCode::kProtocolError);
}

TEST(ConnectTest, ReceiveMaximumZeroIsProtocolError) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(5, 0x02, Bytes({0x03, 0x21, 0, 0}) + Str("id"))), k5),
            ReasonCode::kProtocolError);
}

TEST(ConnectTest, MaximumPacketSizeZeroIsProtocolError) {
  EXPECT_EQ(
      ErrorOf(Frame(0x10, ConnectBody(5, 0x02, Bytes({0x05, 0x27, 0, 0, 0, 0}) + Str("id"))), k5),
      ReasonCode::kProtocolError);
}

TEST(ConnectTest, RequestProblemInformationTwoIsProtocolError) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(5, 0x02, Bytes({0x02, 0x17, 0x02}) + Str("id"))), k5),
            ReasonCode::kProtocolError);
}

TEST(ConnectTest, AuthenticationDataWithoutMethodIsProtocolError) {
  EXPECT_EQ(ErrorOf(Frame(0x10, ConnectBody(5, 0x02, Bytes({0x04, 0x16, 0, 1, 'x'}) + Str("id"))),
                    k5),
            ReasonCode::kProtocolError);
}

// ------------------------------------------------------------------------------------------
// CONNACK

TEST(ConnackTest, V311ReservedAckFlagsAreMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x20, 0x02, 0x02, 0x00}), k311), ReasonCode::kMalformedPacket);
}

TEST(ConnackTest, V311ReturnCodeAbove5IsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x20, 0x02, 0x00, 0x06}), k311), ReasonCode::kMalformedPacket);
}

TEST(ConnackTest, V311ReturnCodesMapToReasonCodes) {
  const ReasonCode expected[] = {ReasonCode::kSuccess,
                                 ReasonCode::kUnsupportedProtocolVersion,
                                 ReasonCode::kClientIdentifierNotValid,
                                 ReasonCode::kServerUnavailable,
                                 ReasonCode::kBadUserNameOrPassword,
                                 ReasonCode::kNotAuthorized};
  for (int rc = 0; rc <= 5; ++rc) {
    auto c = std::get<ConnackPacket>(MustDecode(Bytes({0x20, 0x02, 0x00, rc}), k311));
    EXPECT_EQ(c.reason, expected[rc]);
    EXPECT_EQ(ToV311ConnackCode(c.reason), rc);
  }
}

TEST(ConnackTest, V5WithoutPropertyLengthIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x20, 0x02, 0x00, 0x00}), k5), ReasonCode::kMalformedPacket);
}

TEST(ConnackTest, V5ReasonNotAllowedInConnackIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x20, 0x03, 0x00, 0x10, 0x00}), k5), ReasonCode::kProtocolError);
}

TEST(ConnackTest, V5MaximumQos2IsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02}), k5),
            ReasonCode::kProtocolError);
}

// ------------------------------------------------------------------------------------------
// PUBLISH

TEST(PublishTest, PacketIdZeroWithQos1IsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00}), k311),
            ReasonCode::kProtocolError);
}

TEST(PublishTest, TruncatedPacketIdIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x34, 0x04, 0x00, 0x01, 't', 0x00}), k311),
            ReasonCode::kMalformedPacket);
}

TEST(PublishTest, WildcardInTopicNameIsTopicNameInvalid) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x03, 0x00, 0x01, '+'}), k311), ReasonCode::kTopicNameInvalid);
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x04, 0x00, 0x01, '#', 0x00}), k5),
            ReasonCode::kTopicNameInvalid);
}

TEST(PublishTest, TopicLengthBeyondBodyIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x03, 0x00, 0x05, 't'}), k311), ReasonCode::kMalformedPacket);
}

TEST(PublishTest, InvalidUtf8TopicIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x04, 0x00, 0x02, 0xC0, 0xAF}), k311),
            ReasonCode::kMalformedPacket);
}

TEST(PublishTest, EmptyTopicIsProtocolErrorIn311) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x02, 0x00, 0x00}), k311), ReasonCode::kProtocolError);
}

TEST(PublishTest, EmptyTopicWithoutAliasIsProtocolErrorIn5) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x03, 0x00, 0x00, 0x00}), k5), ReasonCode::kProtocolError);
}

TEST(PublishTest, TopicAliasZeroIsTopicAliasInvalid) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x00}), k5),
            ReasonCode::kTopicAliasInvalid);
}

TEST(PublishTest, RepeatedTopicAliasIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x0A, 0x00, 0x01, 't', 0x06, 0x23, 0x00, 0x01, 0x23, 0x00,
                           0x02}),
                    k5),
            ReasonCode::kProtocolError);
}

TEST(PublishTest, RepeatedSubscriptionIdentifierIsAllowed) {
  auto p = std::get<PublishPacket>(
      MustDecode(Bytes({0x30, 0x08, 0x00, 0x01, 't', 0x04, 0x0B, 0x01, 0x0B, 0x02}), k5));
  EXPECT_EQ(p.properties.subscription_identifiers, (std::vector<uint32_t>{1, 2}));
}

TEST(PublishTest, RepeatedUserPropertyKeepsOrder) {
  const std::string props = Bytes({0x26}) + Str("k") + Str("1") + Bytes({0x26}) + Str("k") +
                            Str("2");
  const std::string body = Str("t") + Bytes({static_cast<int>(props.size())}) + props;
  auto p = std::get<PublishPacket>(MustDecode(Frame(0x30, body), k5));
  ASSERT_EQ(p.properties.user_properties.size(), 2u);
  EXPECT_EQ(p.properties.user_properties[1].second, "2");
}

TEST(PublishTest, SubscriptionIdentifierZeroIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x0B, 0x00}), k5),
            ReasonCode::kProtocolError);
}

TEST(PublishTest, PayloadFormatIndicatorTwoIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x01, 0x02}), k5),
            ReasonCode::kProtocolError);
}

TEST(PublishTest, ResponseTopicWithWildcardIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x08, 0x00, 0x01, 't', 0x04, 0x08, 0x00, 0x01, '#'}), k5),
            ReasonCode::kProtocolError);
}

TEST(PublishTest, PropertyLengthBeyondBodyIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x05, 0x00, 0x01, 't', 0x09, 0x01}), k5),
            ReasonCode::kMalformedPacket);
}

TEST(PublishTest, PropertyLengthOfFiveBytesIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x08, 0x00, 0x01, 't', 0x80, 0x80, 0x80, 0x80, 0x01}), k5),
            ReasonCode::kMalformedPacket);
}

TEST(PublishTest, NonMinimalPropertyLengthIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x05, 0x00, 0x01, 't', 0x80, 0x00}), k5),
            ReasonCode::kMalformedPacket);
}

TEST(PublishTest, TruncatedPropertyValueIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x02, 0x00, 0x00}), k5),
            ReasonCode::kMalformedPacket);
}

TEST(PublishTest, UnknownPropertyIdIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x7F, 0x00}), k5),
            ReasonCode::kMalformedPacket);
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x80, 0x01, 0x00}), k5),
            ReasonCode::kMalformedPacket);
}

TEST(PublishTest, InvalidUtf8ContentTypeIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x30, 0x08, 0x00, 0x01, 't', 0x04, 0x03, 0x00, 0x01, 0xFF}), k5),
            ReasonCode::kMalformedPacket);
}

TEST(PublishTest, PayloadIsNotValidatedAsUtf8) {
  auto p = std::get<PublishPacket>(
      MustDecode(Bytes({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x01, 0x01}), k5));
  EXPECT_TRUE(p.payload.empty());
  p = std::get<PublishPacket>(MustDecode(Bytes({0x30, 0x05, 0x00, 0x01, 't', 0xFF, 0x00}), k311));
  EXPECT_EQ(p.payload, Bytes({0xFF, 0x00}));
}

// Every property id not allowed in a packet is rejected there (5.0 section 2.2.2.2 table).
TEST(PropertyTableTest, PropertiesNotAllowedInPubackAreRejected) {
  const std::vector<int> all = {0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x12, 0x13,
                                0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1C, 0x21, 0x22,
                                0x23, 0x24, 0x25, 0x27, 0x28, 0x29, 0x2A};
  for (int id : all) {
    // A 4-byte value works for any type as far as the id check is concerned: the id is
    // rejected before the value is read.
    const std::string bytes = Bytes({0x40, 0x09, 0x00, 0x01, 0x00, 0x05, id, 0, 0, 0, 1});
    EXPECT_EQ(ErrorOf(bytes, k5), ReasonCode::kMalformedPacket) << "property " << id;
  }
  // Reason String and User Property are allowed.
  auto a = std::get<AckPacket>(MustDecode(Bytes({0x40, 0x08, 0x00, 0x01, 0x00, 0x04, 0x1F, 0x00,
                                                 0x01, 'r'}),
                                          k5));
  EXPECT_EQ(a.properties.reason_string, "r");
}

TEST(PropertyTableTest, OnlyUserPropertyInUnsubscribe) {
  for (int id : {0x0B, 0x1F, 0x11}) {
    const std::string bytes = Frame(0xA2, Bytes({0x00, 0x01, 0x02, id, 0x01}) + Str("t"));
    EXPECT_EQ(ErrorOf(bytes, k5), ReasonCode::kMalformedPacket) << id;
  }
}

TEST(PropertyTableTest, SubscriptionIdentifierOnlyOnceInSubscribe) {
  const std::string bytes =
      Frame(0x82, Bytes({0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B, 0x02}) + Str("t") + Bytes({0}));
  EXPECT_EQ(ErrorOf(bytes, k5), ReasonCode::kProtocolError);
}

// ------------------------------------------------------------------------------------------
// PUBACK / PUBREC / PUBREL / PUBCOMP

TEST(AckTest, V311AckWithReasonCodeIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x40, 0x03, 0x00, 0x01, 0x00}), k311), ReasonCode::kMalformedPacket);
}

TEST(AckTest, V311AckTooShortIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x50, 0x01, 0x00}), k311), ReasonCode::kMalformedPacket);
}

TEST(AckTest, PacketIdZeroIsProtocolError) {
  for (auto v : {k311, k5}) {
    EXPECT_EQ(ErrorOf(Bytes({0x70, 0x02, 0x00, 0x00}), v), ReasonCode::kProtocolError);
  }
}

TEST(AckTest, V5RemainingLengthTwoMeansSuccess) {
  auto a = std::get<AckPacket>(MustDecode(Bytes({0x50, 0x02, 0x00, 0x07}), k5));
  EXPECT_EQ(a.type, PacketType::kPubrec);
  EXPECT_EQ(a.reason, ReasonCode::kSuccess);
}

TEST(AckTest, V5RemainingLengthThreeMeansNoProperties) {
  auto a = std::get<AckPacket>(MustDecode(Bytes({0x40, 0x03, 0x00, 0x07, 0x10}), k5));
  EXPECT_EQ(a.reason, ReasonCode::kNoMatchingSubscribers);
}

TEST(AckTest, V5ExplicitEmptyPropertiesDecode) {
  auto a = std::get<AckPacket>(MustDecode(Bytes({0x62, 0x04, 0x00, 0x07, 0x00, 0x00}), k5));
  EXPECT_EQ(a.type, PacketType::kPubrel);
}

TEST(AckTest, V5ReasonNotAllowedForTypeIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x40, 0x03, 0x00, 0x07, 0x92}), k5), ReasonCode::kProtocolError);
  EXPECT_EQ(ErrorOf(Bytes({0x62, 0x03, 0x00, 0x07, 0x10}), k5), ReasonCode::kProtocolError);
}

TEST(AckTest, V5TrailingBytesAfterPropertiesAreMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x40, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00}), k5),
            ReasonCode::kMalformedPacket);
}

// ------------------------------------------------------------------------------------------
// SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK

TEST(SubscribeTest, EmptyPayloadIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x82, 0x02, 0x00, 0x01}), k311), ReasonCode::kProtocolError);
  EXPECT_EQ(ErrorOf(Bytes({0x82, 0x03, 0x00, 0x01, 0x00}), k5), ReasonCode::kProtocolError);
}

TEST(SubscribeTest, PacketIdZeroIsProtocolError) {
  EXPECT_EQ(ErrorOf(Frame(0x82, Bytes({0x00, 0x00}) + Str("t") + Bytes({0})), k311),
            ReasonCode::kProtocolError);
}

TEST(SubscribeTest, MissingOptionsByteIsMalformed) {
  EXPECT_EQ(ErrorOf(Frame(0x82, Bytes({0x00, 0x01}) + Str("t")), k311),
            ReasonCode::kMalformedPacket);
}

TEST(SubscribeTest, V311ReservedOptionBitsAreMalformed) {
  for (int o : {0x04, 0x08, 0x10, 0x80}) {
    EXPECT_EQ(ErrorOf(Frame(0x82, Bytes({0x00, 0x01}) + Str("t") + Bytes({o})), k311),
              ReasonCode::kMalformedPacket)
        << o;
  }
}

TEST(SubscribeTest, V5ReservedOptionBitsAreMalformed) {
  for (int o : {0x40, 0x80}) {
    EXPECT_EQ(ErrorOf(Frame(0x82, Bytes({0x00, 0x01, 0x00}) + Str("t") + Bytes({o})), k5),
              ReasonCode::kMalformedPacket);
  }
}

TEST(SubscribeTest, Qos3IsMalformed) {
  EXPECT_EQ(ErrorOf(Frame(0x82, Bytes({0x00, 0x01}) + Str("t") + Bytes({3})), k311),
            ReasonCode::kMalformedPacket);
}

TEST(SubscribeTest, RetainHandling3IsProtocolError) {
  EXPECT_EQ(ErrorOf(Frame(0x82, Bytes({0x00, 0x01, 0x00}) + Str("t") + Bytes({0x30})), k5),
            ReasonCode::kProtocolError);
}

// An invalid filter decodes (the broker answers 0x8F for it in SUBACK); the codec's
// IsValidTopicFilter is what the broker asks.
TEST(SubscribeTest, InvalidFilterIsLeftToTheBroker) {
  for (const char* f : {"a/b#", "a+/b", "#/a", "", "$share/g", "$share//a", "$share/+/a"}) {
    auto p = std::get<SubscribePacket>(
        MustDecode(Frame(0x82, Bytes({0x00, 0x01}) + Str(f) + Bytes({0})), k311));
    EXPECT_EQ(p.subscriptions[0].filter, f);
    EXPECT_FALSE(IsValidTopicFilter(f)) << f;
  }
}

TEST(SubscribeTest, NoLocalOnSharedSubscriptionIsProtocolError) {
  EXPECT_EQ(
      ErrorOf(Frame(0x82, Bytes({0x00, 0x01, 0x00}) + Str("$share/g/t") + Bytes({0x04})), k5),
      ReasonCode::kProtocolError);
}

TEST(SubackTest, V311FailureIs0x80) {
  auto s = std::get<SubackPacket>(MustDecode(Bytes({0x90, 0x04, 0x00, 0x01, 0x80, 0x02}), k311));
  EXPECT_EQ(s.reasons,
            (std::vector<ReasonCode>{ReasonCode::kUnspecifiedError, ReasonCode::kGrantedQos2}));
}

TEST(SubackTest, V311ReservedReturnCodeIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0x90, 0x03, 0x00, 0x01, 0x03}), k311), ReasonCode::kMalformedPacket);
  EXPECT_EQ(ErrorOf(Bytes({0x90, 0x03, 0x00, 0x01, 0x87}), k311), ReasonCode::kMalformedPacket);
}

TEST(SubackTest, V5ReasonNotAllowedIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x90, 0x04, 0x00, 0x01, 0x00, 0x11}), k5), ReasonCode::kProtocolError);
}

TEST(SubackTest, NoReasonCodesIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0x90, 0x02, 0x00, 0x01}), k311), ReasonCode::kProtocolError);
}

TEST(UnsubscribeTest, EmptyPayloadIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0xA2, 0x02, 0x00, 0x01}), k311), ReasonCode::kProtocolError);
}

TEST(UnsubscribeTest, PacketIdZeroIsProtocolError) {
  EXPECT_EQ(ErrorOf(Frame(0xA2, Bytes({0x00, 0x00}) + Str("t")), k311),
            ReasonCode::kProtocolError);
}

TEST(UnsubscribeTest, InvalidFilterIsLeftToTheBroker) {
  auto u = std::get<UnsubscribePacket>(MustDecode(Frame(0xA2, Bytes({0x00, 0x01}) + Str("a/#/b")), k311));
  EXPECT_EQ(u.filters[0], "a/#/b");
  EXPECT_FALSE(IsValidTopicFilter("a/#/b"));
}

TEST(UnsubackTest, V311WithReasonCodesIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0xB0, 0x03, 0x00, 0x01, 0x00}), k311), ReasonCode::kMalformedPacket);
}

TEST(UnsubackTest, V5WithoutReasonCodesIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0xB0, 0x03, 0x00, 0x01, 0x00}), k5), ReasonCode::kProtocolError);
}

// ------------------------------------------------------------------------------------------
// PINGREQ / PINGRESP / DISCONNECT / AUTH

TEST(PingTest, BodyIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0xC0, 0x01, 0x00}), k311), ReasonCode::kMalformedPacket);
  EXPECT_EQ(ErrorOf(Bytes({0xD0, 0x01, 0x00}), k5), ReasonCode::kMalformedPacket);
}

TEST(DisconnectTest, V311BodyIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0xE0, 0x01, 0x00}), k311), ReasonCode::kMalformedPacket);
}

TEST(DisconnectTest, V5LengthZeroIsNormalDisconnection) {
  auto d = std::get<DisconnectPacket>(MustDecode(Bytes({0xE0, 0x00}), k5));
  EXPECT_EQ(d.reason, ReasonCode::kSuccess);
}

TEST(DisconnectTest, V5LengthOneIsReasonOnly) {
  auto d = std::get<DisconnectPacket>(MustDecode(Bytes({0xE0, 0x01, 0x8E}), k5));
  EXPECT_EQ(d.reason, ReasonCode::kSessionTakenOver);
}

TEST(DisconnectTest, V5ReasonNotAllowedIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0xE0, 0x01, 0x01}), k5), ReasonCode::kProtocolError);
  EXPECT_EQ(ErrorOf(Bytes({0xE0, 0x01, 0x84}), k5), ReasonCode::kProtocolError);
}

TEST(DisconnectTest, V5SessionExpiryAllowedAssignedClientIdNot) {
  auto d = std::get<DisconnectPacket>(
      MustDecode(Bytes({0xE0, 0x07, 0x00, 0x05, 0x11, 0, 0, 0, 5}), k5));
  EXPECT_EQ(d.properties.session_expiry_interval, 5u);
  EXPECT_EQ(ErrorOf(Bytes({0xE0, 0x06, 0x00, 0x04, 0x12, 0, 1, 'a'}), k5),
            ReasonCode::kMalformedPacket);
}

TEST(AuthTest, AuthIsMalformedIn311) {
  EXPECT_EQ(ErrorOf(Bytes({0xF0, 0x00}), k311), ReasonCode::kMalformedPacket);
}

TEST(AuthTest, LengthZeroIsSuccess) {
  auto a = std::get<AuthPacket>(MustDecode(Bytes({0xF0, 0x00}), k5));
  EXPECT_EQ(a.reason, ReasonCode::kSuccess);
}

TEST(AuthTest, ReasonWithoutPropertyLengthIsMalformed) {
  EXPECT_EQ(ErrorOf(Bytes({0xF0, 0x01, 0x18}), k5), ReasonCode::kMalformedPacket);
}

TEST(AuthTest, ReasonNotAllowedIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0xF0, 0x02, 0x80, 0x00}), k5), ReasonCode::kProtocolError);
}

TEST(AuthTest, AuthenticationDataWithoutMethodIsProtocolError) {
  EXPECT_EQ(ErrorOf(Bytes({0xF0, 0x06, 0x18, 0x04, 0x16, 0x00, 0x01, 'x'}), k5),
            ReasonCode::kProtocolError);
}

// ------------------------------------------------------------------------------------------
// Small helpers

TEST(ReasonCodeTest, NamesAndV311Mapping) {
  EXPECT_EQ(ReasonCodeName(ReasonCode::kMalformedPacket), "Malformed Packet");
  EXPECT_EQ(ReasonCodeName(static_cast<ReasonCode>(0x7F)), "Unknown reason code");
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kSuccess), 0);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kUnsupportedProtocolVersion), 1);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kClientIdentifierNotValid), 2);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kServerBusy), 3);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kBadUserNameOrPassword), 4);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kNotAuthorized), 5);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kBanned), 5);
}

TEST(PacketTest, TypeOf) {
  AckPacket a;
  a.type = PacketType::kPubcomp;
  EXPECT_EQ(TypeOf(a), PacketType::kPubcomp);
  EXPECT_EQ(TypeOf(ConnectPacket{}), PacketType::kConnect);
  EXPECT_EQ(TypeOf(AuthPacket{}), PacketType::kAuth);
  EXPECT_EQ(TypeOf(UnsubackPacket{}), PacketType::kUnsuback);
}

}  // namespace
}  // namespace verbund::mqtt
