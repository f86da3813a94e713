# The pages' scripts and styles embedded into deltagrad_examples_common (examples/common/html_page.hpp):
# regenerated whenever a file of examples/web/ changes.
file(GLOB web_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.js ${CMAKE_CURRENT_LIST_DIR}/*.css)
set(web_cpp ${CMAKE_CURRENT_BINARY_DIR}/web_assets.cpp)
add_custom_command(OUTPUT ${web_cpp}
  COMMAND ${CMAKE_COMMAND} -DDIR=${CMAKE_CURRENT_LIST_DIR} -DOUT=${web_cpp} -P ${CMAKE_CURRENT_LIST_DIR}/embed.cmake
  DEPENDS ${web_files} ${CMAKE_CURRENT_LIST_DIR}/embed.cmake
  COMMENT "Embedding examples/web/ into the HTML pages"
  VERBATIM)
target_sources(deltagrad_examples_common PRIVATE ${web_cpp})
