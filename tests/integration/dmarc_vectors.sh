#!/bin/sh
# Integration test wrapper: the RFC 9989 conformance vectors (dmarc_vectors.py).
exec /usr/bin/python3 "${top_srcdir:-.}/tests/integration/dmarc_vectors.py"
