# verbund_storage: the engine (WAL, head, chunk store, catalog). Included by CMakeLists.txt.
verbund_library(verbund_storage_wal
  SOURCES wal/wal_record.cc wal/wal_writer.cc wal/wal_reader.cc wal/batch_codec.cc
  DEPS verbund_core Threads::Threads)
verbund_library(verbund_storage
  SOURCES types.cc head.cc catalog.cc catalog_format.cc chunk_store_format.cc engine_open.cc
          engine_catalog.cc engine_write.cc engine_seal.cc engine_chunk_store.cc engine_read.cc
          engine_maintenance.cc engine_stats.cc engine_chunk_cache.cc
  DEPS verbund_storage_wal verbund_storage_encoding verbund_keys RocksDB::rocksdb-shared PkgConfig::ZSTD
       Threads::Threads)
