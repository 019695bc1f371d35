# The tests' private TMPDIR (test/CMakeLists.txt): MODE=setup empties it
# before the tests, MODE=check fails when a test left anything in it (and
# then removes it, so the next run starts clean).
if(MODE STREQUAL "setup")
	file(REMOVE_RECURSE "${DIR}")
	file(MAKE_DIRECTORY "${DIR}")
	return()
endif()
file(GLOB left LIST_DIRECTORIES true "${DIR}/*" "${DIR}/.*")
if(left)
	file(REMOVE_RECURSE ${left})
	string(REPLACE ";" "\n  " left "${left}")
	message(FATAL_ERROR "tests left these behind in TMPDIR:\n  ${left}")
endif()
message(STATUS "nothing left in ${DIR}")
