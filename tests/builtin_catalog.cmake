# edgeroute_builtin_catalog_tests(<gtest target>): the test cases of <target> that
# check the built-in catalog snapshot -- its data, or behaviour over it -- are those
# whose suite name starts with DefaultCatalog. They get the ctest label
# builtin_catalog, and a build without the snapshot (EDGEROUTE_BUILTIN_CATALOG=OFF,
# as cmake/configs/small.cmake) disables them: what they check is not in that
# library, whose Catalog::load_default() is an error (tested on its own). Every
# other case runs in every configuration, the small one included.
function(edgeroute_builtin_catalog_tests target)
  set(disable "")
  if(NOT EDGEROUTE_BUILTIN_CATALOG)
    set(disable " DISABLED TRUE")
  endif()
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_builtin_catalog.cmake")
  # Read by ctest after gtest_discover_tests' own file has listed the cases in
  # ${target}_TESTS.
  file(WRITE "${script}"
    "foreach(t IN LISTS ${target}_TESTS)\n"
    "  if(t MATCHES \"^DefaultCatalog[A-Za-z]*\\\\.\")\n"
    "    set_tests_properties(\"\${t}\" PROPERTIES LABELS builtin_catalog${disable})\n"
    "  endif()\n"
    "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
