#!/bin/sh
# valgrind.sh - LOG_COMPILER for the valgrind tier: run a test program under
# memcheck; any memory error or definite leak fails the test (exit 99).
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite "$@"
