/*
 * Strict JSON for policy text, through common/json.c's parser, and the
 * Jackson pretty printer ECR stores policies with (docs/ecr-behaviour.md
 * 3.5), over common/json.c's string writer.
 */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/json.h"
#include "policy/policy_int.h"

/* Indentation can multiply the text: bound the output generously. */
#define FORMAT_OUT_MAX ((size_t)POLICY_TEXT_MAX * 64)

int
iam_json_parse(const char *text, size_t len, struct json_object **out,
    char **cause)
{
	if (jparse_strict(text, len, out, cause) == JPARSE_BAD)
		return POLICY_SYNTAX;
	return POLICY_OK;
}

static void
fmt_indent(struct buf *b, int level)
{
	int i;

	buf_add(b, "\n", 1);
	for (i = 0; i < level; i++)
		buf_add(b, "  ", 2);
}

/*
 * Jackson's DefaultPrettyPrinter: objects indent one level per nesting
 * level and break before each member; arrays are inline ("[ a, b ]") and do
 * not add a level, so an object in an array opens as "[ {".
 */
static void
fmt_value(struct buf *b, struct json_object *v, int level)
{
	const char *s;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_object:
		if (json_object_object_length(v) == 0) {
			buf_add(b, "{ }", 3);
			return;
		}
		buf_add(b, "{", 1);
		i = 0;
		json_object_object_foreach(v, key, val)
		{
			if (i++ != 0)
				buf_add(b, ",", 1);
			fmt_indent(b, level + 1);
			jwrite_string(b, key, strlen(key), JESC_JACKSON);
			buf_add(b, " : ", 3);
			fmt_value(b, val, level + 1);
		}
		fmt_indent(b, level);
		buf_add(b, "}", 1);
		return;
	case json_type_array:
		if ((n = json_object_array_length(v)) == 0) {
			buf_add(b, "[ ]", 3);
			return;
		}
		buf_add(b, "[ ", 2);
		for (i = 0; i < n; i++) {
			if (i != 0)
				buf_add(b, ", ", 2);
			fmt_value(b, json_object_array_get_idx(v, i), level);
		}
		buf_add(b, " ]", 2);
		return;
	case json_type_string:
		jwrite_string(b, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), JESC_JACKSON);
		return;
	case json_type_null:
		buf_add(b, "null", 4);
		return;
	default:
		/* Booleans, and numbers as json-c read them. */
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		buf_add(b, s, strlen(s));
		return;
	}
}

char *
policy_format_jackson(const char *text, size_t len, char **cause)
{
	struct json_object *v = NULL;
	struct buf b;

	if (len > POLICY_TEXT_MAX) {
		iam_fail(cause, POLICY_TOOBIG, "policy is longer than %d bytes",
		    POLICY_TEXT_MAX);
		return NULL;
	}
	if (iam_json_parse(text, len, &v, cause) != 0)
		return NULL;
	/* Appends fail sticky: one check at the end (common/buf.h). */
	buf_init(&b, FORMAT_OUT_MAX);
	fmt_value(&b, v, 0);
	json_object_put(v);
	if (buf_failed(&b)) {
		iam_fail(cause, POLICY_TOOBIG, "formatted policy too large");
		return NULL;
	}
	return buf_take(&b, NULL);
}
