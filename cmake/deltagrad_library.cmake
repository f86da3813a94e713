# deltagrad_library(NAME target SOURCES ... LINK ... [EXPORT set]): one library target of deltagrad with its alias
# deltagrad::NAME, the project's warning flags, and install rules. EXPORT names the installed export set (default
# deltagradTargets, what find_package(deltagrad) always loads; an optional component has a set of its own).
function(deltagrad_library)
  cmake_parse_arguments(ARG "" "NAME;EXPORT" "SOURCES;LINK" ${ARGN})
  if(NOT ARG_EXPORT)
    set(ARG_EXPORT deltagradTargets)
  endif()
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
  install(TARGETS ${target} EXPORT ${ARG_EXPORT}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()

# deltagrad_install_headers(DIR): installs the headers of one source folder (recursively) under include/deltagrad.
function(deltagrad_install_headers dir)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/deltagrad
    FILES_MATCHING PATTERN "*.hpp")
endfunction()
