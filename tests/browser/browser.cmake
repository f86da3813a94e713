# The browser tests (ctest -L browser): train's report.html and bpcheck's explorer, generated here and checked in
# Debian's headless chromium, driven by node over the DevTools protocol (tests/browser/cdp.js; both installed by
# scripts/install-deps). Screenshots go to <build>/browser/screenshots/. Included from examples/tests.cmake.
set(browser_dir ${CMAKE_BINARY_DIR}/browser)
set(browser_js ${PROJECT_SOURCE_DIR}/tests/browser)
# Missing tools fail the tests (never skip them): scripts/install-deps installs both.
set(browser_need_tools [=[for t in node chromium; do command -v $t > /dev/null || { echo "FAIL: $t is not installed: run scripts/install-deps"; exit 1; }; done;]=])

if(TARGET train)
  # A short run with diagnostics; its out folder, log and the test images go to the page's checks.
  add_test(NAME browser.report
    COMMAND sh -c "set -e; ${browser_need_tools} rm -rf \"$2\"; mkdir -p \"$2\"; \"$0\" --limit 2000 --epochs 2 --spec 784-64-10:relu --diagnostics --out \"$2/out\" > \"$2/log\"; cat \"$2/log\"; grep -qx \"report: $2/out/report.html (rewritten after every epoch)\" \"$2/log\"; node \"$1/report_test.js\" \"$2/out\" \"$2/log\" \"$3\""
            $<TARGET_FILE:train> ${browser_js} ${browser_dir}/report ${browser_dir}/screenshots)
  set_tests_properties(browser.report PROPERTIES LABELS browser TIMEOUT 300 RESOURCE_LOCK chromium)
  # Rewritten after every epoch: a run stopped after epoch 1 of 3 leaves a page that says so (and no temporary
  # file beside it); resumed to the end, the page says finished.
  add_test(NAME examples.train.report_after_each_epoch
    COMMAND sh -c "set -e; rm -rf \"$1\"; \"$0\" --limit 500 --epochs 3 --spec 784-16-10:relu --stop-after 1 --out \"$1\" > /dev/null; grep -q '\"finished\":false' \"$1/report.html\"; grep -q '\"epochs_planned\":3' \"$1/report.html\"; test $(grep -o '\"train_loss\":' \"$1/report.html\" | wc -l) -eq 1; ! ls -a \"$1\" | grep -q 'report.html.'; \"$0\" --resume \"$1/checkpoint.safetensors\" > /dev/null; grep -q '\"finished\":true' \"$1/report.html\"; test $(grep -o '\"train_loss\":' \"$1/report.html\" | wc -l) -eq 3"
            $<TARGET_FILE:train> ${browser_dir}/report_after_each_epoch)
  set_tests_properties(examples.train.report_after_each_epoch PROPERTIES LABELS examples TIMEOUT 120)
  # Text from the command line cannot end the page's data early: an --out folder named "</script>" appears in the
  # inline JSON only escaped, so the page holds exactly its three closing script tags.
  add_test(NAME examples.train.report_escapes_text
    COMMAND sh -c "set -e; rm -rf \"$1\"; mkdir -p \"$1\"; \"$0\" --limit 200 --epochs 1 --spec 784-8-10:relu --out \"$1/</script>\" > /dev/null; test $(grep -o '</script>' \"$1/</script>/report.html\" | wc -l) -eq 3; grep -q 'u003c/script>' \"$1/</script>/report.html\""
            $<TARGET_FILE:train> ${browser_dir}/report_escapes_text)
  set_tests_properties(examples.train.report_escapes_text PROPERTIES LABELS examples TIMEOUT 120)
endif()

if(TARGET bpcheck)
  # name|bpcheck options|key presses: small nets stepped through, a deep one whose graph is wider than the page
  # (it scrolls in its own box, not the page), and a wide one whose tensors must be previewed; CNN specs (max and
  # average pooling, a strided conv, batch norm, which the conv reference leaves out: no notes, and a conv feeding
  # a conv, whose note correlates δ with the flipped kernel, in float) and recurrent specs (Elman with the loss at
  # the last step, a two-layer LSTM, a GRU on an embedding).
  set(explorer_runs
    "small|--spec 4-8-3:tanh --loss softmax-ce --batch 5 --seed 1|3"
    "deep_mse|--spec 3-6-5-2:sigmoid --loss mse-half --batch 4 --seed 2 --l2 0.01|7"
    "seven_layers|--spec 6-6-6-6-6-6-6-3:sigmoid --loss softmax-ce --batch 3 --seed 4 --l2 0.01|9"
    "wide|--spec 64-128-10:relu --loss softmax-ce --batch 32 --seed 3 --fd-max 20|3"
    "cnn|--spec 1x6x6-c2k3p1-relu-m2-flat-3 --batch 2 --seed 1|5"
    "cnn_avg_strided|--spec 2x7x7-c3k3s2p1-tanh-a2-flat-4-sigmoid-2 --loss mse --batch 3 --seed 2 --fd-max 30|6"
    "cnn_batch_norm|--spec 1x6x6-c2k3p1-bn-relu-m2-flat-3 --batch 3 --seed 1|4"
    "cnn_two_convs_float|--spec 1x8x8-c3k3s2p1-relu-c2k3p1-tanh-m2-flat-3 --dtype float --batch 3 --seed 1|6"
    "rnn_last|--spec 3-6-4:rnn:T4:last --batch 3 --seed 1|4"
    "lstm|--spec 3-8-8-4:lstm:T5 --batch 2 --seed 1 --fd-max 20|6"
    "gru_embedding|--spec emb7x3-5-4:gru:T3 --batch 2 --seed 3|5")
  foreach(run ${explorer_runs})
    string(REPLACE "|" ";" parts "${run}")
    list(GET parts 0 name)
    list(GET parts 1 options)
    list(GET parts 2 presses)
    separate_arguments(options UNIX_COMMAND "${options}")
    add_test(NAME browser.explorer.${name}
      COMMAND sh -c "set -e; ${browser_need_tools} js=\"$1\"; out=\"$2\"; d=\"$2/explorer_$3\"; name=explorer_$3; presses=$4; shift 4; rm -rf \"$d\"; mkdir -p \"$d\"; \"$0\" \"$@\" --html \"$d/explorer.html\" > \"$d/report.txt\"; cat \"$d/report.txt\"; node \"$js/explorer_test.js\" \"$d/explorer.html\" \"$d/report.txt\" \"$out/screenshots\" $name $presses"
              $<TARGET_FILE:bpcheck> ${browser_js} ${browser_dir} ${name} ${presses} ${options})
    set_tests_properties(browser.explorer.${name} PROPERTIES LABELS browser TIMEOUT 180 RESOURCE_LOCK chromium)
  endforeach()
endif()
