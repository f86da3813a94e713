# Extra ctest labels for individual GoogleTest cases (gtest_discover_tests labels a whole executable only).
# ctest reads this after the discovered test lists, so the names exist here; a name that is not built in this
# build folder is skipped.
#   slow: 10^6-long graphs (≈1.4 GB, ~10x slower under AddressSanitizer). `make test` runs them;
#         `make sanitize` leaves them out (-LE slow) to keep CI within its time budget.
set(_deltagrad_slow_tests
  "autograd|Graph.MillionLongChainBackwardsAndFrees"
  "autograd|Graph.MillionLongMulAddChainWithRetainGraph")
foreach(entry IN LISTS _deltagrad_slow_tests)
  string(REPLACE "|" ";" entry "${entry}")
  list(GET entry 0 area)
  list(GET entry 1 name)
  set_tests_properties("${name}" PROPERTIES LABELS "${area};slow")
endforeach()

#   recurrence: the recurrent ops, layers and cells, the BPTT reference and the three-way checks on recurrent
#               networks (issue 19): every discovered test whose suite starts with Recurrent or Bptt
#               (gtest_discover_tests lists each executable's tests in test_<area>_TESTS).
foreach(area IN ITEMS autograd reference nn check)
  foreach(name IN LISTS test_${area}_TESTS)
    if(name MATCHES "^(Recurrent|Bptt)[A-Za-z]*\\.")
      set_tests_properties("${name}" PROPERTIES LABELS "${area};recurrence")
    endif()
  endforeach()
endforeach()

#   convolution: issue 18's tests — the conv, pooling and norm ops, the conv delta reference, the layers, the CNN spec
#                and the three-way check on CNN specs — by GoogleTest suite name, in whichever area's executable.
set(_deltagrad_convolution_suites BatchNorm BatchNormLayer BpcheckCnn Cnn CnnSpec CnnTraining Conv Conv2dLayer
  ConvBackprop ConvLayers ConvPlanes ConvReference Flatten FlattenLayer LayerNorm LayerNormLayer PoolLayers Pooling)
foreach(area IN ITEMS autograd reference nn check)
  foreach(name IN LISTS test_${area}_TESTS)
    string(REGEX MATCH "^[A-Za-z0-9_]+" suite "${name}")
    list(FIND _deltagrad_convolution_suites "${suite}" found)  # not IN_LIST: ctest reads this without policies
    if(found GREATER -1)
      set_tests_properties("${name}" PROPERTIES LABELS "${area};convolution")
    endif()
  endforeach()
endforeach()
