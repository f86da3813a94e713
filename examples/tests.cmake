
# ---- train (the main program): smoke run, IDX data, bad options, --resume matching an uninterrupted run,
# diagnostics, and SGD updated inside backward matching backward-then-step ----
if(TARGET train)
  # The checks as one small script in the build folder: train_test.sh <train> <folder> smoke|bad|resume.
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/train_test.sh [=[
set -u
train=$1; dir=$2; what=$3
rm -rf "$dir" && mkdir -p "$dir" || exit 1
case $what in
smoke)
  "$train" --limit 2000 --epochs 1 --out "$dir/out" > "$dir/log" 2>&1; rc=$?
  cat "$dir/log"
  test $rc -eq 0 || { echo "FAIL: exit code $rc"; exit 1; }
  tail -n 1 "$dir/log" | grep -Eq '^test accuracy: 0\.[0-9]{4}$' || { echo "FAIL: no final 'test accuracy:' line"; exit 1; }
  for f in checkpoint.safetensors checkpoint-epoch-001.safetensors metrics.csv confusion_matrix.csv; do
    test -f "$dir/out/$f" || { echo "FAIL: $f was not written"; exit 1; }
  done
  grep -q '^9 Ankle boot ' "$dir/log" || { echo "FAIL: the confusion matrix lacks Fashion-MNIST's class names"; exit 1; } ;;
idx)
  # --data idx on six 2x2 images of classes 0..2 (written here): the confusion matrix labels each row with the
  # class index once ("1", not "1 1"): a header of the 3 column indices, then rows of an index and 3 counts.
  # The loss is given under bpcheck's name (softmax_ce), which train accepts for cross-entropy.
  set -e
  printf '\000\000\010\003\000\000\000\006\000\000\000\002\000\000\000\002' > "$dir/images"
  printf '\377\000\000\000\000\377\000\000\000\000\377\000\377\020\000\000\020\377\000\000\000\020\377\000' >> "$dir/images"
  printf '\000\000\010\001\000\000\000\006\000\001\002\000\001\002' > "$dir/labels"
  "$train" --data idx --train-images "$dir/images" --train-labels "$dir/labels" --test-images "$dir/images" \
    --test-labels "$dir/labels" --spec 4-5-3:tanh --loss softmax_ce --epochs 1 --batch 2 --out "$dir/out" > "$dir/log"
  cat "$dir/log"
  awk '/^confusion matrix/ { on = 1; next }
       on && NF == 0 { exit }
       on && ++n == 1 { if ($0 !~ /^ +0 +1 +2$/) { print "FAIL: header " $0; bad = 1 } next }
       on { if (NF != 4 || $1 != n - 2) { print "FAIL: row " $0; bad = 1 } }
       END { exit bad || n != 4 }' "$dir/log"
  head -1 "$dir/out/confusion_matrix.csv" | grep -qx 'true\\predicted,0,1,2' ;;
bad)
  # Each bad invocation: exit code 2 and a one-line message naming the problem, its range in words (no
  # 30-digit numbers), no repeated "train: " prefix.
  check() {
    fragment=$1; shift
    "$train" --out "$dir/out" "$@" > "$dir/stdout" 2> "$dir/stderr"; rc=$?
    cat "$dir/stderr"
    test $rc -eq 2 || { echo "FAIL: '$*' exited $rc, expected 2"; exit 1; }
    test "$(wc -l < "$dir/stderr")" -eq 1 || { echo "FAIL: '$*' printed more than one error line"; exit 1; }
    grep -q -- "$fragment" "$dir/stderr" || { echo "FAIL: '$*' error lacks '$fragment'"; exit 1; }
    ! grep -Eq '[0-9]{30}|train: .*train: ' "$dir/stderr" || { echo "FAIL: '$*': a 30-digit number or a doubled prefix"; exit 1; }
  }
  check "--optimizer" --optimizer nope
  check "train: error: --lr must be a number, at least 0 (got -1)" --lr -1
  check "--batch must be a whole number, at least 1 (got -1)" --batch -1
  check "--batch must be a whole number, at least 1 (got 0)" --batch 0
  check "--batch must be a whole number, at least 1 (got 99999999999999999999)" --batch 99999999999999999999
  check "--threads must be a whole number, from 0 to 4096 (got -3)" --threads -3
  check "--epochs was given twice: give it once" --epochs 2 --epochs 3
  check "--l2 must be a number, at least 0 (got -1)" --l2 -1
  check "--gamma must be a number, greater than 0 (got 0)" --gamma 0
  check "--vanishing must be a number, greater than 0 and less than 1 (got 2)" --vanishing 2
  check "--exploding must be a number, greater than 1 (got 0.5)" --exploding 0.5
  check "--loss must be one of cross-entropy (or softmax-ce" --loss nope
  check "784-x-10" --spec 784-x-10
  check "784-100-3" --spec 784-100-3
  check "its 5×5 window does not fit its input 8×3×3" --spec 1x28x28-c8k3-m3-c8k3-m2-c8k5-flat-10
  check "so the spec must take an image of 784 values" --spec 1x20x20-c4k3-flat-10
  check "/nonexistent" --data idx --train-images /nonexistent
  check "--train-csv" --data csv
  check "/nonexistent" --resume /nonexistent ;;
resume)
  # Two epochs straight vs. one epoch, stop, --resume: the same losses and accuracies, digit for digit.
  set -e
  args="--limit 1000 --epochs 2 --spec 784-32-10:relu"
  "$train" $args --out "$dir/straight" > /dev/null
  "$train" $args --out "$dir/split" --stop-after 1 > /dev/null
  "$train" --resume "$dir/split/checkpoint.safetensors" > /dev/null
  cut -d, -f1-6 "$dir/straight/metrics.csv" > "$dir/a"
  cut -d, -f1-6 "$dir/split/metrics.csv" > "$dir/b"
  cat "$dir/a" "$dir/b"
  test "$(wc -l < "$dir/a")" -eq 3
  cmp "$dir/a" "$dir/b" ;;
diagnostics)
  # --diagnostics: one row per layer and epoch in diagnostics.csv (a fresh run into the same folder starts it
  # anew), sigmoid layers report a saturation share; the thresholds are printed; the "wrote" line lists
  # diagnostics.csv and the plot of |δ(l)| per epoch (log scale, one line per layer, whole-number epoch ticks).
  set -e
  for run in 1 2; do
    "$train" --limit 1000 --epochs 2 --spec 784-16-8-10:sigmoid --diagnostics --out "$dir/out" > "$dir/log"
  done
  cat "$dir/log"
  grep -q "^diagnostics, epoch 2" "$dir/log"
  grep -q "flags vanishing below 0.01·|δ(L)|, exploding above 100·|δ(L)|" "$dir/log"
  head -1 "$dir/out/diagnostics.csv" | grep -q "^epoch,layer,activation,delta_norm,grad_norm,update_ratio,dead_relu,saturated,flag$"
  test "$(wc -l < "$dir/out/diagnostics.csv")" -eq 7
  test "$(grep -c '^[12],[123],' "$dir/out/diagnostics.csv")" -eq 6
  grep -q '^2,1,sigmoid,[0-9.e-]*,[0-9.e-]*,[0-9.e-]*,,[0-9.]*,' "$dir/out/diagnostics.csv"
  grep -q '^wrote .*, diagnostics.csv, diagnostics.png}$' "$dir/log"
  test -s "$dir/out/diagnostics.png"
  grep -q '^set logscale y$' "$dir/out/diagnostics.gp"
  test "$(grep -o 'index [0-9]' "$dir/out/diagnostics.gp" | wc -l)" -eq 3
  grep -qx 'set xtics 1' "$dir/out/diagnostics.gp"
  grep -qx 'set xtics 1' "$dir/out/loss.gp" ;;
flags)
  # The vanishing flag: a 6-layer sigmoid net's first layers get a small share of the last layer's |δ|; flagged
  # with the default threshold (0.01), not with --vanishing 1e-6.
  set -e
  args="--limit 500 --epochs 1 --spec 784-32-32-32-32-32-10:sigmoid --optimizer sgd --lr 0.1 --schedule none --warmup 0 --diagnostics"
  "$train" $args --out "$dir/default" > "$dir/default.log"
  "$train" $args --vanishing 1e-6 --out "$dir/low" > "$dir/low.log"
  cat "$dir/default.log"
  grep -Eq '^ +1 sigmoid .* vanishing$' "$dir/default.log"
  ! grep -q 'vanishing$' "$dir/low.log"
  grep -q "flags vanishing below 1e-06·|δ(L)|" "$dir/low.log" ;;
cnn)
  # A CNN spec trains like an MLP spec: the summary shows its layers, it learns, and it resumes.
  set -e
  "$train" --limit 2000 --epochs 1 --warmup 0 --schedule none --lr 3e-3 --spec 1x28x28-c4k3p1-bn-relu-m2-flat-10 \
    --out "$dir/out" > "$dir/log"  # measured: 0.7318
  grep -q "Conv2d 1→4 k3 p1" "$dir/log"
  grep -q "BatchNorm2d 4" "$dir/log"
  grep -Eq "^test accuracy: 0\.[6-9]" "$dir/log"
  # --resume continues a CNN exactly (batch norm's running statistics are in the checkpoint): as the resume case.
  args="--limit 1000 --epochs 2 --spec 1x28x28-c4k3p1-bn-relu-m2-flat-10"
  "$train" $args --out "$dir/straight" > /dev/null
  "$train" $args --out "$dir/split" --stop-after 1 > /dev/null
  "$train" --resume "$dir/split/checkpoint.safetensors" > /dev/null
  cut -d, -f1-6 "$dir/straight/metrics.csv" > "$dir/a"
  cut -d, -f1-6 "$dir/split/metrics.csv" > "$dir/b"
  test "$(wc -l < "$dir/a")" -eq 3
  cmp "$dir/a" "$dir/b" ;;
sgd_in_backward)
  # --optimizer sgd updates inside backward (backward_and_step); --diagnostics needs the gradients and takes
  # backward, then step. Both must train the same: losses within 1e-5 relative (rounding), accuracies equal.
  set -e
  args="--limit 1000 --epochs 2 --spec 784-32-10:sigmoid --optimizer sgd --lr 0.1"
  "$train" $args --out "$dir/fused" > /dev/null
  "$train" $args --diagnostics --out "$dir/plain" > /dev/null
  cat "$dir/fused/metrics.csv" "$dir/plain/metrics.csv"
  paste -d, "$dir/fused/metrics.csv" "$dir/plain/metrics.csv" | awk -F, 'NR > 1 {
    n = NF / 2
    for (i = 2; i <= 5; i++) {
      d = $i - $(i + n); if (d < 0) d = -d
      if (d > 1e-5 * ($(i + n) < 0 ? -$(i + n) : $(i + n)) + 1e-7) { print "FAIL: column " i " of epoch " $1; bad = 1 }
    }
    rows++
  } END { exit bad || rows != 2 }' ;;
esac
]=])
  foreach(check smoke idx bad resume diagnostics flags sgd_in_backward cnn)
    add_test(NAME examples.train.${check}
      COMMAND sh ${CMAKE_CURRENT_BINARY_DIR}/train_test.sh $<TARGET_FILE:train>
              ${CMAKE_CURRENT_BINARY_DIR}/train_test/${check} ${check})
    set_tests_properties(examples.train.${check} PROPERTIES LABELS examples TIMEOUT 300)
  endforeach()
  set_tests_properties(examples.train.cnn PROPERTIES LABELS "examples;convolution")
endif()

# ---- bpcheck on CNN specs (issue 18): three ways with max and average pooling, two ways with batch norm (and the
#      report says so), JSON, a --save/--against trip, --l2 refused ----
if(TARGET bpcheck)
  add_test(NAME tools.bpcheck.cnn_max_pool COMMAND bpcheck --spec 1x6x6-c2k3p1-relu-m2-c3k2s2p1-tanh-flat-5-relu-3 --batch 3)
  add_test(NAME tools.bpcheck.cnn_avg_pool COMMAND bpcheck --spec 2x5x5-c3k3p1-elu-a2-flat-4-sigmoid-2 --loss mse --batch 3)
  set_tests_properties(tools.bpcheck.cnn_max_pool tools.bpcheck.cnn_avg_pool PROPERTIES PASS_REGULAR_EXPRESSION "PASS: ")
  add_test(NAME tools.bpcheck.cnn_batch_norm COMMAND sh -c "\"$0\" --spec 1x6x6-c2k3p1-bn-relu-m2-flat-3 --batch 3 > \"$1\" && grep -q '^note: layer 2 (bn) is a batch normalization, which the conv delta reference leaves out: checked two ways' \"$1\" && grep -q 'reference - (not run)' \"$1\" && tail -n 1 \"$1\" | grep -q '^PASS: '"
    $<TARGET_FILE:bpcheck> ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_cnn_bn.txt)
  add_test(NAME tools.bpcheck.cnn_json COMMAND sh -c "\"$0\" --spec 1x5x5-c2k2-m2-flat-2 --batch 2 --json > \"$1\" && grep -q '\"reference_run\": true' \"$1\" && grep -q '\"ok\": true' \"$1\""
    $<TARGET_FILE:bpcheck> ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_cnn.json)
  add_test(NAME tools.bpcheck.cnn_fixture COMMAND sh -c "\"$0\" --spec 1x6x6-c2k3p1-relu-a2-flat-3 --batch 3 --save \"$1\" > /dev/null && \"$0\" --against \"$1\" | tail -n 1 | grep -q '^PASS: 9 tensors compared'"
    $<TARGET_FILE:bpcheck> ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_cnn_golden.safetensors)
  add_test(NAME tools.bpcheck.cnn_l2 COMMAND sh -c "\"$0\" --spec 1x6x6-c2k3p1-relu-m2-flat-3 --l2 0.1 2>&1; echo \"exit status $?\"" $<TARGET_FILE:bpcheck>)
  set_tests_properties(tools.bpcheck.cnn_l2 PROPERTIES PASS_REGULAR_EXPRESSION
    "^bpcheck: error: --l2 is for MLP specs; the CNN spec 1x6x6-c2k3p1-relu-m2-flat-3 is checked without it\nexit status 2\n$")
  set_tests_properties(tools.bpcheck.cnn_max_pool tools.bpcheck.cnn_avg_pool tools.bpcheck.cnn_batch_norm
    tools.bpcheck.cnn_json tools.bpcheck.cnn_fixture tools.bpcheck.cnn_l2 PROPERTIES LABELS "tools;convolution" TIMEOUT 60)
endif()

# ---- convolution (issue 18): a small CNN's filters, feature maps and δ(1) reference vs autograd, with --smoke ----
if(TARGET convolution)
  add_test(NAME examples.convolution.smoke COMMAND convolution --smoke --out ${CMAKE_BINARY_DIR}/smoke/convolution)
  set_tests_properties(examples.convolution.smoke PROPERTIES LABELS "examples;convolution" TIMEOUT 120)
endif()

# ---- the notes' worked examples: each runs with --smoke (reduced size) and checks its key result ----
foreach(example gates perceptron linear_regression logistic_regression xor_mlp diamond curve_fit
                universal_approximation vanishing_gradients language_model recurrent)
  if(TARGET ${example})
    add_test(NAME examples.${example}.smoke
      COMMAND ${example} --smoke --out ${CMAKE_BINARY_DIR}/smoke/${example})
    set_tests_properties(examples.${example}.smoke PROPERTIES LABELS examples TIMEOUT 120)
  endif()
endforeach()

# The pictures' gnuplot scripts name their data and output by file name only: moved elsewhere, the folder
# re-plots from itself.
if(TARGET gates)
  add_test(NAME examples.plot_scripts_run_from_their_folder
    COMMAND sh -c "set -e; rm -rf \"$1\" \"$1.moved\"; \"$0\" --smoke --out \"$1\" > /dev/null; mv \"$1\" \"$1.moved\"; cd \"$1.moved\"; rm xor_network.png; gnuplot xor_network.gp; test -s xor_network.png; ! grep -q \"$1\" xor_network.gp"
            $<TARGET_FILE:gates> ${CMAKE_CURRENT_BINARY_DIR}/relocated_plot)
  set_tests_properties(examples.plot_scripts_run_from_their_folder PROPERTIES LABELS examples TIMEOUT 60)
endif()

# The examples refuse a bad option as the tools do: one line that gives the range in words, exit code 2.
if(TARGET xor_mlp)
  add_test(NAME examples.bad_option
    COMMAND sh -c "\"$0\" --seeds 0 --out \"$1\" 2> \"$1.err\"; rc=$?; cat \"$1.err\"; test $rc -eq 2 && grep -qx 'xor_mlp: error: --seeds must be a whole number, at least 1 (got 0)' \"$1.err\""
            $<TARGET_FILE:xor_mlp> ${CMAKE_CURRENT_BINARY_DIR}/bad_option)
  set_tests_properties(examples.bad_option PROPERTIES LABELS examples TIMEOUT 60)
endif()

# "name|command line" -> the name, and the command line as an argument list.
function(split_run run name_var args_var)
  string(FIND "${run}" "|" bar)
  string(SUBSTRING "${run}" 0 ${bar} name)
  math(EXPR bar "${bar} + 1")
  string(SUBSTRING "${run}" ${bar} -1 command_line)
  separate_arguments(args UNIX_COMMAND "${command_line}")
  set(${name_var} "${name}" PARENT_SCOPE)
  set(${args_var} "${args}" PARENT_SCOPE)
endfunction()

# ---- bpcheck (the three-way gradient check tool): a few configurations, JSON, errors, a --save/--against trip ----
if(TARGET bpcheck)
  set(bpcheck_runs
    "softmax_tanh|--spec 4-8-3:tanh --loss softmax-ce --batch 5 --seed 1"
    "mse_relu_l2|--spec 3-6-6-2:relu:sigmoid-out --loss mse --batch 4 --seed 2 --l2 0.01"
    "bce_elu_float|--spec 5-4-3-1:elu --loss bce --batch 3 --seed 3 --dtype float"
    "mse_half_softplus_sampled|--spec 20-16-4:softplus --loss mse-half --batch 8 --fd-max 20")
  foreach(run ${bpcheck_runs})
    split_run("${run}" name args)
    add_test(NAME tools.bpcheck.${name} COMMAND bpcheck ${args})
    set_tests_properties(tools.bpcheck.${name} PROPERTIES LABELS tools TIMEOUT 60 PASS_REGULAR_EXPRESSION "PASS: ")
  endforeach()
  # JSON: exit code 0 and the report's keys present.
  add_test(NAME tools.bpcheck.json COMMAND sh -c "\"$1\" --spec 3-4-2:abs --loss mse --l2 0.1 --json > \"$2\" && grep -q '\"flagged_count\": ' \"$2\" && grep -q '\"reference_vs_fd\": ' \"$2\""
    sh $<TARGET_FILE:bpcheck> ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_report.json)
  set_tests_properties(tools.bpcheck.json PROPERTIES LABELS tools TIMEOUT 60)
  # Both tools accept both spellings of a loss (one table, examples/common/cli.cpp).
  add_test(NAME tools.bpcheck.train_loss_names COMMAND bpcheck --spec 5-4-1:elu --loss bce_with_logits --batch 3)
  add_test(NAME tools.bpcheck.cross_entropy COMMAND bpcheck --spec 4-8-3:tanh --loss cross-entropy --batch 5)
  set_tests_properties(tools.bpcheck.train_loss_names tools.bpcheck.cross_entropy PROPERTIES LABELS tools TIMEOUT 60
    PASS_REGULAR_EXPRESSION "PASS: ")
  # When only the finite differences disagree (here the largest step accepted is too large for 4-8-3:tanh in
  # double), the step is named as the suspect; the exit status is 1, a disagreement.
  add_test(NAME tools.bpcheck.step_hint COMMAND sh -c "\"$0\" --spec 4-8-3:tanh --eps 0.01 > \"$1\"; rc=$?; cat \"$1\"; test $rc -eq 1 && grep -q '^hint: autograd and the delta reference agree.*--eps 0.01 may be the cause' \"$1\""
    $<TARGET_FILE:bpcheck> ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_hint.txt)
  set_tests_properties(tools.bpcheck.step_hint PROPERTIES LABELS tools TIMEOUT 60)
  # Bad usage and unreadable files exit with status 2 exactly (1 is kept for a disagreement), with one line on
  # stderr that starts "bpcheck: error: " once, holds the expected words, and no 30-digit number.
  set(bpcheck_bad_runs
    "bad_spec|MLP spec \"4-x-3\"|--spec 4-x-3"
    "bad_head|bpcheck: error: loss softmax_ce does not fit output activation sigmoid|--spec 4-5-3:tanh:sigmoid-out --loss softmax-ce"
    "missing_fixture|no_such.safetensors|--against ${CMAKE_CURRENT_BINARY_DIR}/no_such.safetensors"
    "batch_zero|--batch must be a whole number, at least 1 (got 0)|--batch 0"
    "batch_negative|--batch must be a whole number, at least 1 (got -1)|--batch -1"
    "l2_negative|--l2 must be a number, at least 0 (got -1)|--l2 -1"
    "rtol_negative|--rtol must be a number, from 0 to 1 (got -1)|--rtol -1"
    "eps_tiny|--eps must be a number, from 1e-08 to 0.01 (got 1e-30)|--eps 1e-30"
    "eps_large|--eps must be a number, from 1e-08 to 0.01 (got 0.3)|--eps 0.3"
    "repeated|--seed was given twice: give it once|--seed 1 --seed 2"
    "nll|: the delta reference has no formula for nll|--loss nll"
    "unknown_loss|--loss must be one of cross-entropy (or softmax-ce, softmax-cross-entropy)|--loss hinge"
    "against_and_spec|so --spec cannot be given with it|--against ${CMAKE_CURRENT_BINARY_DIR}/no_such.safetensors --spec 2-3-1:tanh"
    "softmax_one_output|--loss cross-entropy needs at least 2 outputs: the softmax of a single output is always 1|--spec 2-3-1:tanh --loss softmax-ce"
    "show_json|--show prints the gradients as text|--show --json"
    "against_show|so --show cannot be given with it (it takes --rtol and --json)|--against ${CMAKE_CURRENT_BINARY_DIR}/no_such.safetensors --show"
    "grade_missing|holds no problem.txt: is it a folder bpcheck --exercise wrote?|--grade ${CMAKE_CURRENT_BINARY_DIR}/no_such_exercise"
    "grade_spec|--grade grades the folder's answers against the folder's own problem, so --spec cannot be given with it|--grade ${CMAKE_CURRENT_BINARY_DIR}/no_such_exercise --spec 2-3-2:tanh"
    "exercise_cnn|--exercise takes an MLP spec, such as 2-3-2:sigmoid, not 1x4x4-c2k3-flat-2|--exercise ${CMAKE_CURRENT_BINARY_DIR}/no_such_exercise --spec 1x4x4-c2k3-flat-2"
    "exercise_json|--exercise writes a problem, so --json cannot be given with it (it takes --spec, --loss, --batch and --seed)|--exercise ${CMAKE_CURRENT_BINARY_DIR}/no_such_exercise --json"
    "exercise_one_output|exercise: softmax_ce needs at least 2 outputs|--exercise ${CMAKE_CURRENT_BINARY_DIR}/no_such_exercise --spec 2-3-1:tanh --loss softmax-ce")
  foreach(run ${bpcheck_bad_runs})
    string(REPLACE "|" ";" parts "${run}")
    list(GET parts 0 name)
    list(GET parts 1 fragment)
    list(GET parts 2 command_line)
    separate_arguments(args UNIX_COMMAND "${command_line}")
    add_test(NAME tools.bpcheck.${name}
      COMMAND sh -c "\"$0\" \"$@\" > /dev/null 2> \"$BPCHECK_ERR\"; rc=$?; cat \"$BPCHECK_ERR\"; test $rc -eq 2 && test $(wc -l < \"$BPCHECK_ERR\") -eq 1 && grep -q '^bpcheck: error: ' \"$BPCHECK_ERR\" && ! grep -Eq 'bpcheck: .*bpcheck: |[0-9]{30}' \"$BPCHECK_ERR\" && grep -qF -- \"$BPCHECK_FRAGMENT\" \"$BPCHECK_ERR\""
              $<TARGET_FILE:bpcheck> ${args})
    set_tests_properties(tools.bpcheck.${name} PROPERTIES LABELS tools TIMEOUT 60 ENVIRONMENT
      "BPCHECK_ERR=${CMAKE_CURRENT_BINARY_DIR}/bpcheck_${name}.err;BPCHECK_FRAGMENT=${fragment}")
  endforeach()
  # --show: the gradients, their convention, then the table; --json: every value, sides named (no "a"/"b" keys).
  add_test(NAME tools.bpcheck.show COMMAND sh -c "\"$0\" --spec 3-4-2:tanh --loss softmax-ce --batch 2 --show > \"$1\" && grep -q 'A sample.s ŷ − y worked by hand is 2 × its row of δ(2)' \"$1\" && grep -q '^  δ(1)  \\[2, 4\\]: a row per sample' \"$1\" && grep -q '^              fd  ' \"$1\" && grep -q '^2     identity    delta' \"$1\" && tail -n 1 \"$1\" | grep -q '^PASS: '"
    $<TARGET_FILE:bpcheck> ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_show.txt)
  add_test(NAME tools.bpcheck.json_values COMMAND sh -c "\"$0\" --spec 3-4-2:relu --loss mse --batch 2 --fd-max 3 --json > \"$1\" && grep -q '\"finite_differences\": \\[' \"$1\" && grep -q 'null' \"$1\" && grep -q '\"symbol\": \"ΔW(1)\"' \"$1\" && ! grep -q '\"a\": ' \"$1\" && ! grep -q 'fd_model' \"$1\""
    $<TARGET_FILE:bpcheck> ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_values.json)
  set_tests_properties(tools.bpcheck.show tools.bpcheck.json_values PROPERTIES LABELS tools TIMEOUT 60)
  # --exercise then --grade: the untouched template is graded wrong (exit 1) as not answered yet; a second
  # --exercise into the same folder is refused (exit 2) and keeps its answers. Grading answers: tests/check/exercise_test.
  add_test(NAME tools.bpcheck.exercise COMMAND sh -c "rm -rf \"$1\" && \"$0\" --exercise \"$1\" --seed 3 | grep -q 'then run: bpcheck --grade' && test -f \"$1/answer/dW1.csv\" && grep -q 'seed: 3' \"$1/problem.txt\" && { \"$0\" --grade \"$1\" > \"$1.txt\"; test $? -eq 1; } && grep -q 'not answered yet' \"$1.txt\" && tail -n 1 \"$1.txt\" | grep -q '^FAIL: 0 of 6 quantities right' && { \"$0\" --exercise \"$1\" 2> \"$1.err\"; test $? -eq 2; } && grep -q 'already holds a problem' \"$1.err\""
    $<TARGET_FILE:bpcheck> ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_exercise)
  set_tests_properties(tools.bpcheck.exercise PROPERTIES LABELS tools TIMEOUT 60)
  add_test(NAME tools.bpcheck.exercise_empty COMMAND sh -c "\"$0\" --exercise '' 2>&1; echo \"exit status $?\"" $<TARGET_FILE:bpcheck>)
  set_tests_properties(tools.bpcheck.exercise_empty PROPERTIES LABELS tools TIMEOUT 60
    PASS_REGULAR_EXPRESSION "^bpcheck: error: --exercise needs a folder, got an empty name\nexit status 2\n$")
  # Golden fixture: --save writes it, --against recomputes and compares (fixtures order the two).
  set(bpcheck_golden ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_golden.safetensors)
  add_test(NAME tools.bpcheck.save
    COMMAND bpcheck --spec 4-6-5-3:leaky_relu --loss softmax-ce --batch 4 --seed 9 --l2 0.05 --save ${bpcheck_golden})
  add_test(NAME tools.bpcheck.against COMMAND bpcheck --against ${bpcheck_golden})
  set_tests_properties(tools.bpcheck.save PROPERTIES LABELS tools TIMEOUT 60 FIXTURES_SETUP bpcheck_golden)
  set_tests_properties(tools.bpcheck.against PROPERTIES LABELS tools TIMEOUT 60 FIXTURES_REQUIRED bpcheck_golden
    PASS_REGULAR_EXPRESSION "PASS: 10 tensors compared")
endif()

# ---- bpcheck on recurrent specs (issue 19): three ways for the Elman network, the LSTM and the GRU; δ per step
if(TARGET bpcheck)
  set(bpcheck_recurrent_runs
    "rnn_tanh|--spec 3-6-6-3:rnn:T4 --batch 3 --seed 1|delta t4"
    "rnn_relu_last|--spec 2-6-3:rnn-relu:T5:last --loss mse-half --batch 3 --seed 2|delta t5"
    "lstm_embedding|--spec emb6x3-5-6:lstm:T4 --batch 2 --seed 3|delta t4"
    "lstm_float|--spec 3-6-3:lstm:T3 --batch 3 --dtype float|delta t3"
    "gru|--spec 3-5-2:gru:T4 --batch 2|delta t4")
  foreach(run ${bpcheck_recurrent_runs})
    string(REPLACE "|" ";" parts "${run}")
    list(GET parts 0 name)
    list(GET parts 1 command_line)
    list(GET parts 2 fragment)
    separate_arguments(args UNIX_COMMAND "${command_line}")
    add_test(NAME tools.bpcheck.recurrent_${name} COMMAND bpcheck ${args})
    set_tests_properties(tools.bpcheck.recurrent_${name} PROPERTIES LABELS "tools;recurrence" TIMEOUT 60
      PASS_REGULAR_EXPRESSION "${fragment}.*PASS: ")
  endforeach()
  add_test(NAME tools.bpcheck.recurrent_l2 COMMAND sh -c "\"$0\" --spec 3-4-2:lstm --l2 0.1 2>&1; test $? -eq 2"
    $<TARGET_FILE:bpcheck>)
  set_tests_properties(tools.bpcheck.recurrent_l2 PROPERTIES LABELS "tools;recurrence" TIMEOUT 60
    PASS_REGULAR_EXPRESSION "bpcheck: error: --l2 is for MLP specs")
  set(bpcheck_rnn_golden ${CMAKE_CURRENT_BINARY_DIR}/bpcheck_rnn_golden.safetensors)
  add_test(NAME tools.bpcheck.recurrent_save
    COMMAND bpcheck --spec emb5x3-4-4-5:gru:T3 --batch 2 --seed 4 --json --save ${bpcheck_rnn_golden})
  add_test(NAME tools.bpcheck.recurrent_against COMMAND bpcheck --against ${bpcheck_rnn_golden})
  set_tests_properties(tools.bpcheck.recurrent_save PROPERTIES LABELS "tools;recurrence" TIMEOUT 60
    FIXTURES_SETUP bpcheck_rnn_golden PASS_REGULAR_EXPRESSION "\"name\": \"delta t3\"")
  set_tests_properties(tools.bpcheck.recurrent_against PROPERTIES LABELS "tools;recurrence" TIMEOUT 60
    FIXTURES_REQUIRED bpcheck_rnn_golden PASS_REGULAR_EXPRESSION "grad.delta2.*PASS: 15 tensors compared")
endif()

# ---- teaching tools (issue 4): hand-derived δs == autograd; scalar-tensor MLP == matrix MLP ----
foreach(example hand_derived_graphs two_granularities)
  if(TARGET ${example})
    add_test(NAME examples.${example}.smoke
      COMMAND ${example} --smoke --out ${CMAKE_BINARY_DIR}/smoke/${example})
    set_tests_properties(examples.${example}.smoke PROPERTIES LABELS examples TIMEOUT 120)
  endif()
endforeach()

# ---- a user's custom op (README "Custom ops"): a fused swish through dg::record, gradchecked, gradgradchecked and
# checked over a model that names it as its activation; exit code 0 when every check passes ----
if(TARGET custom_op)
  add_test(NAME examples.custom_op.smoke COMMAND custom_op)
  set_tests_properties(examples.custom_op.smoke PROPERTIES LABELS examples TIMEOUT 60)
endif()

# ---- the explorer's data (examples/common/explorer.hpp): GoogleTest over its C++ JSON builders (tests/examples/),
# label examples; declared here because the tests folder is configured before the examples' library exists ----
if(TARGET deltagrad_examples_common)
  find_package(GTest REQUIRED)
  include(GoogleTest)
  file(GLOB example_test_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/examples/*.cpp)
  add_executable(test_examples ${example_test_sources})
  target_include_directories(test_examples PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(test_examples PRIVATE deltagrad_examples_common GTest::gtest_main)
  gtest_discover_tests(test_examples DISCOVERY_TIMEOUT 60 PROPERTIES LABELS examples)
endif()

# ---- the HTML pages in a real browser (label `browser`): train's report.html and bpcheck --html's explorer ----
include(${PROJECT_SOURCE_DIR}/tests/browser/browser.cmake)
