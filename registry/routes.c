/*
 * The registry's route table: each route of the distribution API
 * (registry.h's enum api_reg_op) to its operation, named as the route
 * reads in the spec; the handlers live in one file per resource family.
 */
#include "registry/registry_int.h"

const struct op *const api_reg_ops[API_REG__COUNT] = {
	[API_REG_PING] = &reg_op_ping,
	[API_REG_CATALOG] = &reg_op_catalog,
	[API_REG_TAGS] = &reg_op_tags_list,
	[API_REG_MANIFEST_GET] = &reg_op_manifest_get,
	[API_REG_MANIFEST_PUT] = &reg_op_manifest_put,
	[API_REG_MANIFEST_DELETE] = &reg_op_manifest_delete,
	[API_REG_BLOB_GET] = &reg_op_blob_get,
	[API_REG_BLOB_DELETE] = &reg_op_blob_delete,
	[API_REG_UPLOAD_START] = &reg_op_upload_start,
	[API_REG_UPLOAD_STATUS] = &reg_op_upload_status,
	[API_REG_UPLOAD_PATCH] = &reg_op_upload_patch,
	[API_REG_UPLOAD_FINISH] = &reg_op_upload_finish,
	[API_REG_UPLOAD_CANCEL] = &reg_op_upload_cancel,
	[API_REG_REFERRERS] = &reg_op_referrers,
};
