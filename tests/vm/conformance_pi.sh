#!/bin/bash
# tests/vm/conformance.sh with protection information (T10 DIF type 1) on
# both LUNs: the rd cfgstring pi=1 for tcmud. Its own script so that its
# results stay in vm-results/conformance_pi/.
exec bash "$(dirname "$0")/conformance.sh" --pi 1 "$@"
