#!/usr/bin/env bash
# Regenerate tests/data/ingest/* with the REAL benchmark tools (see tests/data/README.md).
#
# Needs: python with pytest + pytest-benchmark (PYTHON, default /work/venv/bin/python),
# hyperfine, g++ with libbenchmark-dev (Google Benchmark), go. On Debian:
#   apt-get install -y hyperfine libbenchmark-dev golang-go g++
#   pip install pytest-benchmark
# Every fixture is kept small (< 50 KB): few rounds, few repetitions.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
out="${INGEST_FIXTURES_OUT:-$here/tests/data/ingest}"
python="${PYTHON:-/work/venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

pytest_benchmark() {
  cat >"$work/test_pb.py" <<'PY'
import pytest


def _fib(n):
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def test_sort_small(benchmark):
    data = list(range(2000, 0, -1))
    benchmark(sorted, data)


def test_fib_15(benchmark):
    assert benchmark(_fib, 15) == 610


@pytest.mark.parametrize("size", [10, 1000])
def test_sum_range(benchmark, size):
    benchmark(sum, range(size))


def test_join_strings(benchmark):
    parts = [str(i) for i in range(500)]
    benchmark.pedantic(",".join, args=(parts,), rounds=8, iterations=4)
PY
  # --benchmark-max-time is tiny so the rounds stay near --benchmark-min-rounds (small files).
  local common=(-q -p no:cacheprovider --benchmark-min-rounds=7 --benchmark-max-time=0.0005
    --benchmark-min-time=0.00005 --benchmark-disable-gc --benchmark-warmup=off
    --benchmark-storage="file://$work/store")
  # --benchmark-save without --benchmark-save-data: summary statistics only.
  (cd "$work" && "$python" -m pytest test_pb.py "${common[@]}" --benchmark-save=summary \
    >/dev/null 2>&1)
  # --benchmark-save-data: raw per-iteration times in stats.data.
  (cd "$work" && "$python" -m pytest test_pb.py "${common[@]}" --benchmark-save=data \
    --benchmark-save-data >/dev/null 2>&1)
  cp "$(find "$work/store" -name '*_summary.json')" "$out/pytest-benchmark.json"
  cp "$(find "$work/store" -name '*_data.json')" "$out/pytest-benchmark-data.json"
}

hyperfine_runs() {
  hyperfine --export-json "$out/hyperfine.json" --warmup 1 --runs 5 -N \
    -n sleep-5ms 'sleep 0.005' -n true 'true' 'seq 1 20000' >/dev/null 2>&1
  # One run: hyperfine reports stddev as null.
  hyperfine --export-json "$out/hyperfine-single.json" --runs 1 -N 'sleep 0.002' >/dev/null
  # A failing command (kept with -i): exit_codes carry the non-zero status.
  hyperfine --export-json "$out/hyperfine-failing.json" --runs 3 -i -N 'false' >/dev/null 2>&1
}

google_benchmark() {
  cat >"$work/gb.cc" <<'CC'
#include <benchmark/benchmark.h>
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

static void BM_Sort(benchmark::State& state) {
  std::vector<int> base(state.range(0));
  std::iota(base.rbegin(), base.rend(), 0);
  for (auto _ : state) {
    std::vector<int> v = base;
    std::sort(v.begin(), v.end());
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["elements"] = static_cast<double>(state.range(0));
  state.counters["swaps_per_second"] =
      benchmark::Counter(static_cast<double>(state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Sort)->Arg(64)->Arg(512)->Unit(benchmark::kMicrosecond);

static void BM_StringAppend(benchmark::State& state) {
  for (auto _ : state) {
    std::string s;
    for (int i = 0; i < 64; ++i) s += 'x';
    benchmark::DoNotOptimize(s.data());
  }
  state.SetBytesProcessed(state.iterations() * 64);
}
BENCHMARK(BM_StringAppend);

static void BM_Fails(benchmark::State& state) {
  for (auto _ : state) {
    state.SkipWithError("resource unavailable");
    break;
  }
}
BENCHMARK(BM_Fails);

BENCHMARK_MAIN();
CC
  g++ -O2 -std=c++17 "$work/gb.cc" -o "$work/gb" -lbenchmark -lpthread
  "$work/gb" --benchmark_repetitions=5 --benchmark_min_time=0.01 \
    --benchmark_out="$out/google-benchmark.json" --benchmark_out_format=json >/dev/null 2>&1
  # --benchmark_report_aggregates_only: mean/median/stddev/cv rows, no repetition rows.
  "$work/gb" --benchmark_filter='BM_Sort' --benchmark_repetitions=3 --benchmark_min_time=0.01 \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/google-benchmark-aggregates.json" --benchmark_out_format=json \
    >/dev/null 2>&1
  # Single run, no repetitions, console format on stdout as JSON.
  "$work/gb" --benchmark_filter='BM_StringAppend' --benchmark_min_time=0.01 \
    --benchmark_format=json >"$out/google-benchmark-single.json" 2>/dev/null
}

go_bench() {
  mkdir -p "$work/gobench"
  cat >"$work/gobench/go.mod" <<'MOD'
module example.com/gobench

go 1.19
MOD
  cat >"$work/gobench/bench_test.go" <<'GO'
package gobench

import (
	"sort"
	"strings"
	"testing"
	"time"
)

func BenchmarkSort(b *testing.B) {
	base := make([]int, 256)
	for i := range base {
		base[i] = len(base) - i
	}
	for i := 0; i < b.N; i++ {
		v := append([]int(nil), base...)
		sort.Ints(v)
	}
}

func BenchmarkJoin(b *testing.B) {
	parts := []string{"a", "b", "c", "d", "e"}
	n := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		n += len(strings.Join(parts, ","))
	}
	b.ReportMetric(float64(n)/float64(b.N), "chars/op")
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "chars/s")
}

func BenchmarkParallel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = strings.Repeat("x", 16)
		}
	})
}
GO
  (cd "$work/gobench" && GOFLAGS=-mod=mod GOCACHE="$work/gocache" \
    go test -run '^$' -bench . -benchmem -count 5 -benchtime 2000x -cpu 1,2 . \
    >"$out/go-test.txt")
  # The same through `go test -json` (the event stream gotestsum and CI tools consume).
  (cd "$work/gobench" && GOFLAGS=-mod=mod GOCACHE="$work/gocache" \
    go test -json -run '^$' -bench 'Join' -benchmem -count 3 -benchtime 2000x . \
    >"$out/go-test.json")
  # A failing benchmark: go test exits 1 and prints FAIL lines.
  cat >"$work/gobench/fail_test.go" <<'GO'
package gobench

import "testing"

func BenchmarkBroken(b *testing.B) {
	b.Fatal("fixture missing")
}
GO
  (cd "$work/gobench" && GOFLAGS=-mod=mod GOCACHE="$work/gocache" \
    go test -run '^$' -bench . -benchmem -count 2 -benchtime 1000x . \
    >"$out/go-test-fail.txt") || true
}

pytest_benchmark
hyperfine_runs
google_benchmark
go_bench
ls -l "$out"
