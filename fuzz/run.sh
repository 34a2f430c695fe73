#!/usr/bin/env bash
# Seeds the corpora (seed.sh), builds every fuzz target with cargo fuzz
# (libFuzzer, AddressSanitizer) and runs each for a bounded time:
#
#   fuzz/run.sh [SECONDS-PER-TARGET (default 60)] [TARGET...]
#
# The machine has only the stable toolchain: RUSTC_BOOTSTRAP=1 lets it take
# the nightly flags cargo fuzz passes (fuzz/README.md). Prints one line per
# target (seconds, executions, coverage, crashes) and exits 1 when a target
# crashed, timed out or ran out of memory; what crashed is in
# fuzz/artifacts/<target>/, the log in fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
./seed.sh
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
mkdir -p logs
build_start=$(date +%s)
cargo fuzz build -O >logs/build.log 2>&1 || { tail -30 logs/build.log >&2; exit 2; }
echo "run.sh: built the targets in $(( $(date +%s) - build_start )) s"
failed=0
printf '%-16s %8s %12s %8s %8s %s\n' target seconds execs cov ft result
for t in "${targets[@]}"; do
  dict=()
  case $t in
    json|validate) dict=(-dict=dict/json.dict) ;;
    fhirpath_*) dict=(-dict=dict/fhirpath.dict) ;;
  esac
  mkdir -p "artifacts/$t" "corpus/$t"
  start=$(date +%s)
  set +e
  cargo fuzz run -O "$t" "corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    "${dict[@]}" >"logs/$t.log" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
  last=$(grep -E '^#[0-9]+' "logs/$t.log" | grep -o 'cov: [0-9]* ft: [0-9]*' | tail -1)
  cov=$(echo "$last" | awk '{print $2}')
  ft=$(echo "$last" | awk '{print $4}')
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED (rc $rc, see logs/$t.log)"; failed=1; fi
  printf '%-16s %8s %12s %8s %8s %s\n' "$t" "$took" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $failed
