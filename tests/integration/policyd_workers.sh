#!/bin/sh
# Integration test wrapper: run the Python test with Debian's python3.
exec /usr/bin/python3 "${top_srcdir:-.}/tests/integration/policyd_workers.py"
