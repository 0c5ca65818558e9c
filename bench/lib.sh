# shellcheck shell=bash
# Shared by the bench scripts, sourced after `set -euo pipefail` as
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Sets $here (bench/) and $root (the checkout) for the script, wherever it is run from.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this
root="$(cd "$here/.." && pwd)"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

# bench_args OUT [ARG]: sets $out to bench/OUT, where the script writes, and takes the one
# optional argument of a bench script: none (run), --clean (remove $out) or --help (print the
# calling script's header comment).
bench_args() {
  out="$here/$1"
  case "${2:-}" in
    "") ;;
    --clean) rm -rf "$out"; log "removed $out"; exit 0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[1]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $2 (try --help)" ;;
  esac
}
