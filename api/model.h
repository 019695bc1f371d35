/*
 * The ECR service model as C tables: the types that api/model_gen.c, which
 * cmake/gen_model.py generates from botocore's service-2.json, is made of.
 */
#ifndef ECRD_API_MODEL_H
#define ECRD_API_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum model_type {
	MODEL_STRUCTURE,
	MODEL_LIST,
	MODEL_MAP,
	MODEL_STRING,
	MODEL_INTEGER,
	MODEL_LONG,
	MODEL_BOOLEAN,
	MODEL_DOUBLE,
	MODEL_TIMESTAMP,
	MODEL_BLOB,
};

struct model_shape;

struct model_member {
	const char *name;
	const struct model_shape *shape;
	bool required;
};

/* One shape of the model; all of it is static and lives forever. */
struct model_shape {
	const char *name;
	enum model_type type;
	/* Length for strings, lists, maps and blobs; value for numbers. */
	bool has_min, has_max;
	int64_t min, max;
	const char *pattern;      /* the model's, or NULL */
	const char *const *enums; /* the model's order */
	size_t n_enums;
	/* MODEL_STRUCTURE: members in declaration order. */
	const struct model_member *members;
	size_t n_members;
	const struct model_shape *list_member;         /* MODEL_LIST */
	const struct model_shape *map_key, *map_value; /* MODEL_MAP */
};

struct model_op {
	const char *name;
	const struct model_shape *input; /* always a structure */
	const struct model_shape *output;
	const char *const *errors; /* error shape names */
	size_t n_errors;
};

/* Every operation, sorted by name (strcmp order). */
extern const struct model_op model_ops[];
extern const size_t model_n_ops;
/* Every shape, sorted by name (strcmp order). */
extern const struct model_shape *const model_shapes[];
extern const size_t model_n_shapes;

#endif
