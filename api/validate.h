/*
 * Request validation against the ECR model: member types, required members
 * and constraints, reported in the exception and wording ECR uses
 * (docs/ecr-behaviour.md 1.5).
 */
#ifndef ECRD_API_VALIDATE_H
#define ECRD_API_VALIDATE_H

#include <stdint.h>

#include "api/error.h"
#include "api/model_gen.h"

struct json_object;
struct validator;

/*
 * Make the validator: check the override table against the model, and
 * compile each pattern (the model's Java regexes and ECR's own) once, to
 * match whole values. 0 and *out, or -1 with *cause (the caller frees it)
 * when the override table names a shape or operation the model lacks, or a
 * pattern does not compile. It keeps one matcher's scratch memory, reused
 * by every request: one thread at a time (each api context makes its own).
 */
int validator_new(struct validator **out, char **cause);
/* Free a validator; NULL does nothing. */
void validator_free(struct validator *);

/* The model's operation of that name, by bisection; NULL if unknown. */
const struct model_op *model_op_find(const char *name);

/*
 * Check in, a parsed request body, against op's input shape: members in
 * declaration order, depth first, unknown members ignored and null members
 * treated as absent. Returns 0, or -1 with err set to
 * - SerializationException when a member has the wrong JSON type (or a blob
 *   is not base64), whatever else is wrong;
 * - else, for the newer operation families, a ValidationException listing
 *   every violation Coral-style;
 * - else InvalidParameterException for the first violation, or the tag
 *   exception ECR uses for tag limits.
 * Allocates nothing; in is only read.
 */
int validate_request(const struct validator *, const struct model_op *,
    struct json_object *in, struct ecr_error *err);
/*
 * The same, for a body whose blob member streamed past the parser: its
 * value in in is the placeholder streamed (a member of in), which counts
 * as a blob of streamed_len decoded bytes (-1: it was not base64).
 */
int validate_request_streamed(const struct validator *, const struct model_op *,
    struct json_object *in, const struct json_object *streamed,
    int64_t streamed_len, struct ecr_error *err);

#endif
