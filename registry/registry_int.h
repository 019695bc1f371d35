/* Declarations shared inside registry/. */
#ifndef ECRD_REGISTRY_REGISTRY_INT_H
#define ECRD_REGISTRY_REGISTRY_INT_H

#include <sodium.h>

#include "auth/sha256.h"
#include "core/core_int.h"
#include "core/image.h"
#include "registry/error.h"
#include "registry/registry.h"
#include "store/store.h"

/* A registry call's state, owned by its call (its proto). */
struct api_reg {
	const struct api_reg_request *req;
	struct api_reg_answer ans;
	enum reg_errcode err_reg; /* REG_NONE: map call->err */
	/* Streaming a PATCH or PUT body. */
	struct store_upload_writer *writer;
	struct store_upload up;
	struct sha256_state hash; /* core_upload_hash_get's */
	bool has_hash;
	uint64_t added;
	bool is_streaming;
	struct core_ctx *leased; /* holds up.id's lease */
};

/* routes.c: the operations, indexed by enum api_reg_op. */
extern const struct op *const api_reg_ops[API_REG__COUNT];
/* One file per resource family: manifests.c, blobs.c, uploads.c, tags.c. */
extern const struct op reg_op_manifest_get, reg_op_manifest_put,
    reg_op_manifest_delete;
extern const struct op reg_op_blob_get, reg_op_blob_delete;
extern const struct op reg_op_upload_start, reg_op_upload_status,
    reg_op_upload_patch, reg_op_upload_finish, reg_op_upload_cancel;
extern const struct op reg_op_ping, reg_op_catalog, reg_op_tags_list,
    reg_op_referrers;

/* A registry call's state (api_reg_prepare made it). */
static inline struct api_reg *
reg_state(const struct call *call)
{
	return call->proto;
}

/* registry.c: what every handler uses. */
/* Fail with a registry error: code's status, fmt's message; returns -1. */
int reg_fail(struct call *, enum reg_errcode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void reg_header(struct call *, const char *name, const char *value);
void reg_body(struct call *, const char *content_type, const char *body,
    size_t len);
int reg_repo(struct call *, struct store_repo *);
bool reg_is_digest(const char *reference);
/* Drop the upload's lease if the stream holds it (upload.c). */
void reg_unlease(struct api_reg *);

#endif
