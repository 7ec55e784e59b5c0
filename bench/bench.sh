#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks, ours vs mainline, in one guest boot: not written yet.
echo "bench: not yet"
exit 0
