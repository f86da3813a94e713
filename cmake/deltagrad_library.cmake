# deltagrad_library(NAME target SOURCES ... LINK ...): one library target of deltagrad with its alias
# deltagrad::NAME, the project's warning flags, and install rules.
function(deltagrad_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LINK" ${ARGN})
  set(target deltagrad_${ARG_NAME})
  add_library(${target} ${ARG_SOURCES})
  add_library(deltagrad::${ARG_NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${ARG_NAME} OUTPUT_NAME deltagrad_${ARG_NAME})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/deltagrad>
    # installed, both <deltagrad/autograd/ops.hpp> and the in-tree spelling <autograd/ops.hpp> resolve
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${target} PUBLIC ${ARG_LINK})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  install(TARGETS ${target} EXPORT deltagradTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()

# deltagrad_install_headers(DIR): installs the headers of one source folder (recursively) under include/deltagrad.
function(deltagrad_install_headers dir)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/deltagrad
    FILES_MATCHING PATTERN "*.hpp")
endfunction()
