/* Reading an ECR call's validated input members (STYLE.md 6.3). */
#include "api/api_int.h"

#include <json-c/json.h>

/* A null member counts as absent (STYLE.md 6.4): it has no other type. */
static struct json_object *
in_member(struct call *call, const char *key, enum json_type type)
{
	return jget(call->in, key, type);
}

const char *
api_in_str(struct call *call, const char *key)
{
	struct json_object *v = in_member(call, key, json_type_string);

	return v == NULL ? NULL : json_object_get_string(v);
}

size_t
api_in_len(struct call *call, const char *key)
{
	struct json_object *v = in_member(call, key, json_type_string);

	return v == NULL ? 0 : (size_t)json_object_get_string_len(v);
}

bool
api_in_bool(struct call *call, const char *key, bool dflt)
{
	struct json_object *v = in_member(call, key, json_type_boolean);

	return v == NULL ? dflt : json_object_get_boolean(v);
}

int64_t
api_in_i64(struct call *call, const char *key, int64_t dflt)
{
	struct json_object *v = in_member(call, key, json_type_int);

	return v == NULL ? dflt : json_object_get_int64(v);
}

struct json_object *
api_in_obj(struct call *call, const char *key)
{
	return in_member(call, key, json_type_object);
}

struct json_object *
api_in_array(struct call *call, const char *key)
{
	return in_member(call, key, json_type_array);
}
