verbund_unit_test(mqtt_broker_test
  SOURCES topic_test.cc topic_tree_test.cc retained_store_test.cc broker_store_test.cc auth_test.cc
          broker_test.cc
  DEPS verbund_mqtt)
