#!/usr/bin/env bash
# Install cosmos3-eval as a user would — a wheel in a fresh venv, outside the checkout — and
# run `list tasks` plus one small run of every family from a temporary directory.
# Usage: scripts/check_wheel.sh [PYTHON]   (default python3)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
py="${1:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "wheel check in $tmp"
"$py" -m pip wheel -q --no-deps -w "$tmp/dist" "$repo" 2>&1 | grep -v -i "warning\|deprecat\|!!\|\*\*\*\|^ *$" || true
wheel="$(ls "$tmp"/dist/cosmos3_eval-*.whl)"
echo "built $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"
"$py" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --upgrade pip 2>&1 | grep -v "^WARNING" || true
"$tmp/venv/bin/pip" install -q "${wheel}[sim]" 2>&1 | grep -v "^WARNING" || true
mkdir "$tmp/work"
cd "$tmp/work"
cli="$tmp/venv/bin/cosmos3-eval"
"$cli" --help >/dev/null
"$cli" list tasks | tee tasks.txt
for t in physqa-sim-v1 qa-sample-v1 compose-t2i-v2 physics-i2v-v1 robot-predict-v1 push-block-v1 \
  gym-reacher-v1 robosuite-lift-v1; do
  grep -q "^$t " tasks.txt || { echo "wheel check: task $t missing from the installed wheel" >&2; exit 1; }
done
"$cli" list suites | grep -q quick
# One small run per family (QA x2, T2I, I2V, world model, policy x3).
"$cli" run --model oracle --tasks physqa-sim-v1,qa-sample-v1,compose-t2i-v2,physics-i2v-v1,robot-predict-v1,push-block-v1,gym-reacher-v1,robosuite-lift-v1 \
  --limit 2 --out runs --no-progress > run.log
"$cli" leaderboard runs --out board > board.log
n=$(find runs -name metrics.json | wc -l)
[ "$n" -eq 8 ] || { echo "wheel check: expected 8 run directories, got $n" >&2; exit 1; }
if find . -name 'MUJOCO_LOG.TXT' | grep -q .; then echo "note: MUJOCO_LOG.TXT written in cwd"; fi
echo "wheel check: ok ($n runs from $(pwd), package at $("$tmp/venv/bin/python" -c 'import cosmos3_eval, os; print(os.path.dirname(cosmos3_eval.__file__))'))"
