#!/usr/bin/env bash
# Runs a command that must fail: passes when it exits non-zero within SECONDS and its output contains PATTERN.
# Usage: expect_abort.sh SECONDS PATTERN command...   (used by the distributed rank-failure tests)
set -u
seconds=$1 pattern=$2
shift 2
out=$(timeout --kill-after=10 "$seconds" "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ]; then echo "expect_abort: the command succeeded; expected a failure"; exit 1; fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "expect_abort: no exit within ${seconds} s (hang)"; exit 1; fi
if ! grep -qF -- "$pattern" <<<"$out"; then echo "expect_abort: exit code $rc but no '$pattern' in the output"; exit 1; fi
echo "expect_abort: exit code $rc with the expected message"
