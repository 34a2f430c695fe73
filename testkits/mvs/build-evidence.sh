#!/usr/bin/env bash
# Rebuilds the validate and probe evidence in fixtures/evidence by running
# `conform validate` and `conform probe` (against a SEKMET test peer) for
# each fixture region; see fixtures/evidence/README.md. Then review the
# scorecard snapshots: cargo test -p conform --test scorecard_cli
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test -p conform --test scorecard_cli -- --ignored --exact build_mvs_evidence
