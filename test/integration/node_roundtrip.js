// node-mqtt round trip: subscribe, publish to ourselves, print what came back.
// usage: node node_roundtrip.js <url> <protocolVersion 4|5> <topic> <payload>
const mqtt = require('mqtt');
const [url, version, topic, payload] = process.argv.slice(2);
const client = mqtt.connect(url, { protocolVersion: Number(version), clientId: 'node-' + process.pid,
                                   connectTimeout: 10000, reconnectPeriod: 0 });
const timer = setTimeout(() => { console.error('timeout'); process.exit(2); }, 30000);
client.on('error', (e) => { console.error('error', e.message); process.exit(3); });
client.on('connect', () => {
  client.subscribe(topic, { qos: 1 }, (err) => {
    if (err) { console.error('suback', err.message); process.exit(4); }
    client.publish(topic, payload, { qos: 1, properties: Number(version) === 5 ?
      { userProperties: { origin: 'node' } } : undefined });
  });
});
client.on('message', (t, p, packet) => {
  const up = packet.properties && packet.properties.userProperties;
  console.log(JSON.stringify({ topic: t, payload: p.toString(), qos: packet.qos,
                               user: up || null }));
  clearTimeout(timer);
  client.end(false, () => process.exit(0));
});
