/* Setting and clearing a call's error (core/error.h). */
#include "core/error.h"

#include <stdio.h>

#include <json-c/json.h>

int
ecr_error_setv(struct ecr_error *err, enum ecr_errcode code, const char *fmt,
    va_list ap)
{
	err->code = code;
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	return -1;
}

int
ecr_error_set(struct ecr_error *err, enum ecr_errcode code, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	ecr_error_setv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

void
ecr_error_clear(struct ecr_error *err)
{
	if (err->extra != NULL)
		json_object_put(err->extra);
	err->extra = NULL;
	err->code = ERR_NONE;
	err->message[0] = '\0';
}
