# Warnings every target gets (STYLE.md 2); ECRD_WERROR turns them into errors.
option(ECRD_WERROR "Treat warnings as errors" ON)
add_compile_options(-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wvla)
if(ECRD_WERROR)
	add_compile_options(-Werror)
endif()
