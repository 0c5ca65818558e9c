# Shared by the bench scripts, sourced after `set -euo pipefail`.

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

# bench_args SCRIPT [ARG]: the one optional argument of a bench script that writes into $out:
# none (run), --clean (remove $out) or --help (print SCRIPT's header comment).
bench_args() {
  case "${2:-}" in
    "") ;;
    --clean) rm -rf "$out"; log "removed $out"; exit 0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$1" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $2 (try --help)" ;;
  esac
}
