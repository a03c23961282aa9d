#!/bin/sh
# A stand-in for Bazel's LCOV merger (CoverageOutputGenerator), enough for
# one LCOV tracefile per test such as tach writes: collect_coverage.sh
# calls it as
#   lcov_merger --coverage_dir=DIR --output_file=FILE [--filter_sources=RE ...]
#               [--source_file_manifest=FILE]
# and it writes the concatenation of DIR's *.dat files (sorted) to FILE.
# No merging of records for the same file, no filtering.
set -eu
coverage_dir=
output_file=
for arg in "$@"; do
    case "$arg" in
        --coverage_dir=*) coverage_dir=${arg#--coverage_dir=} ;;
        --output_file=*) output_file=${arg#--output_file=} ;;
    esac
done
if [ -z "$coverage_dir" ] || [ -z "$output_file" ]; then
    echo "lcov_merger: --coverage_dir and --output_file are required" >&2
    exit 1
fi
: > "$output_file"
find "$coverage_dir" -name '*.dat' -type f | LC_ALL=C sort | while read -r dat; do
    cat "$dat" >> "$output_file"
done
