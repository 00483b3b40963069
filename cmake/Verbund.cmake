# Helpers shared by every subsystem's CMakeLists.txt.
include(GoogleTest)

# While several people edit the tree at once a listed source may not exist yet; such a target is
# skipped with a warning instead of breaking everyone's configure. (A real omission still fails
# the build: whatever links the target cannot find it.)
function(verbund_sources_exist out)
  set(ok TRUE)
  foreach(src ${ARGN})
    if(NOT IS_ABSOLUTE ${src})
      set(src ${CMAKE_CURRENT_SOURCE_DIR}/${src})
    endif()
    if(NOT EXISTS ${src})
      message(WARNING "skipping target: ${src} does not exist")
      set(ok FALSE)
    endif()
  endforeach()
  set(${out} ${ok} PARENT_SCOPE)
endfunction()

# verbund_library(NAME SOURCES ... DEPS ...): one subsystem = one static library.
function(verbund_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  verbund_sources_exist(_ok ${ARG_SOURCES})
  if(NOT _ok)
    return()
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# verbund_unit_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(verbund_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  verbund_sources_exist(_ok ${ARG_SOURCES})
  if(NOT _ok)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/test)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE VERBUND_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
endfunction()

# verbund_fuzz_target(NAME SOURCES ... DEPS ...): a libFuzzer target when built with clang and
# VERBUND_FUZZ=ON; otherwise a plain binary that replays the seed corpus fuzz/corpus/NAME (so
# every build checks the seeds still decode without crashing) and is registered with CTest.
function(verbund_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  verbund_sources_exist(_ok ${ARG_SOURCES})
  if(NOT _ok)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(VERBUND_FUZZ)
    add_dependencies(verbund_fuzz_targets ${name})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
    add_test(NAME fuzz_replay.${name}
             COMMAND ${name} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS fuzz)
  endif()
endfunction()
