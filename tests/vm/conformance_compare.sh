#!/bin/bash
# The comparison run behind `make conformance` (not part of make check):
# tests/vm/conformance.sh --compare, i.e. the same suite on tcmud (pi=0 and
# pi=1), the kernel's rd_mcp (without and with PI) and tcmu-runner in one
# guest. The table lands in vm-results/conformance_compare/conformance.md;
# `tests/vm/cu_summary.py --table .../manifest.jsonl --update
# docs/conformance.md` puts it into the documentation.
exec bash "$(dirname "$0")/conformance.sh" --compare "$@"
