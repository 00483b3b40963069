# Storage engine tests (the codec's are in encoding/). Included by CMakeLists.txt.
verbund_unit_test(storage_wal_test SOURCES wal_test.cc DEPS verbund_storage)
verbund_unit_test(storage_engine_test SOURCES engine_test.cc DEPS verbund_storage)
verbund_unit_test(storage_engine_quota_test SOURCES engine_quota_test.cc DEPS verbund_storage)
verbund_unit_test(storage_chunk_integrity_test SOURCES chunk_integrity_test.cc DEPS verbund_storage)
add_executable(storage_crash_writer crash_writer.cc)
target_include_directories(storage_crash_writer PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(storage_crash_writer PRIVATE verbund_storage)
verbund_unit_test(storage_crash_test SOURCES crash_test.cc DEPS verbund_storage)
target_compile_definitions(storage_crash_test PRIVATE
  VERBUND_CRASH_WRITER="$<TARGET_FILE:storage_crash_writer>")
add_dependencies(storage_crash_test storage_crash_writer)

verbund_unit_test(storage_engine_cache_test SOURCES engine_cache_test.cc DEPS verbund_storage)
verbund_unit_test(storage_catalog_test SOURCES catalog_test.cc DEPS verbund_storage)
# Golden catalog records (test/golden/catalog).
verbund_unit_test(storage_catalog_golden_test
  SOURCES ${PROJECT_SOURCE_DIR}/test/golden/catalog/catalog_golden_test.cc DEPS verbund_storage)
