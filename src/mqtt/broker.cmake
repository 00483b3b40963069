verbund_library(verbund_mqtt
  SOURCES topic.cc topic_tree.cc retained_store.cc auth.cc broker.cc shard.cc session.cc
          connection.cc broker_store.cc sys_topics.cc
  DEPS verbund_mqtt_codec verbund_net verbund_keys verbund_core RocksDB::rocksdb-shared OpenSSL::Crypto)
